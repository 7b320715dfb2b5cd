// launcher/sys/landlock.h: the three Landlock syscalls (Linux 5.13+), plus the
// constants newer than Debian 12's 6.1 UAPI headers (TRUNCATE, scopes).
#pragma once

#include "arch_x86_64.h"

#include <linux/landlock.h>
#include <stdint.h>

namespace bvisor::sys {

// The filesystem rights each ABI handles: ABI 1 (Linux 5.13) bits 0..12, ABI 2 (5.19)
// adds REFER (bit 13), ABI 3 (6.2) adds TRUNCATE (bit 14). Debian 12's 6.1 UAPI header
// stops at REFER. Later ABIs add rights the launcher does not handle (upstream parity).
constexpr uint64_t kLandlockAccessFsTruncate = 1ULL << 14;
constexpr uint64_t kLandlockAccessFsAbi1 = (1ULL << 13) - 1;
constexpr uint64_t kLandlockAccessFsAbi2 = (1ULL << 14) - 1;
constexpr uint64_t kLandlockAccessFsAbi3 = (1ULL << 15) - 1;
static_assert(kLandlockAccessFsAbi3 == 0x7FFF);
constexpr uint64_t kLandlockAccessFsReadRoot =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
static_assert(kLandlockAccessFsReadRoot == 0xD);
// The rights that apply to a file rather than a directory: a rule on a file fd may carry
// only these (the kernel answers EINVAL otherwise).
constexpr uint64_t kLandlockAccessFsFile = LANDLOCK_ACCESS_FS_EXECUTE |
                                           LANDLOCK_ACCESS_FS_WRITE_FILE |
                                           LANDLOCK_ACCESS_FS_READ_FILE | kLandlockAccessFsTruncate;

// ABI 6 (Linux 6.12) scopes: IPC the domain may not reach outside itself.
constexpr uint64_t kLandlockScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kLandlockScopeSignal = 1ULL << 1;

// ABI 4 (Linux 6.7) TCP rights and the port rule (newer than Debian 12's UAPI).
constexpr uint64_t kLandlockAccessNetBindTcp = 1ULL << 0;
constexpr uint64_t kLandlockAccessNetConnectTcp = 1ULL << 1;
constexpr int kLandlockRuleNetPort = 2;
struct LandlockNetPort {
    uint64_t allowed_access;
    uint64_t port;
};
static_assert(sizeof(LandlockNetPort) == 16);

// The ruleset attribute as of ABI 6. Passed with size 8 (handled_access_fs only) when
// nothing else is asked, so that every ABI accepts it; 16 with network rights; 24 scoped.
struct LandlockRulesetAttr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};
static_assert(sizeof(LandlockRulesetAttr) == 24);

// landlock_path_beneath_attr is packed in the UAPI (12 bytes).
struct __attribute__((packed)) LandlockPathBeneath {
    uint64_t allowed_access;
    int32_t parent_fd;
};
static_assert(sizeof(LandlockPathBeneath) == 12);

// Version query: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION).
static inline long sys_landlock_abi() {
    return raw3(__NR_landlock_create_ruleset, 0L, 0L, LANDLOCK_CREATE_RULESET_VERSION);
}
// Errata query (flag 2); older kernels answer -EINVAL.
static inline long sys_landlock_errata() {
    return raw3(__NR_landlock_create_ruleset, 0L, 0L, LANDLOCK_CREATE_RULESET_ERRATA);
}
// Returns a new ruleset fd; the kernel always makes it close-on-exec.
static inline long sys_landlock_create_ruleset(const LandlockRulesetAttr* attr) {
    size_t size = attr->scoped               ? sizeof(*attr)
                  : attr->handled_access_net ? 2 * sizeof(uint64_t)
                                             : sizeof(attr->handled_access_fs);
    return raw3(__NR_landlock_create_ruleset, arg(attr), arg(size), 0L);
}
static inline long sys_landlock_add_path_rule(int ruleset_fd, const LandlockPathBeneath* rule) {
    return raw4(__NR_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, arg(rule), 0L);
}
static inline long sys_landlock_add_port_rule(int ruleset_fd, const LandlockNetPort* rule) {
    return raw4(__NR_landlock_add_rule, ruleset_fd, kLandlockRuleNetPort, arg(rule), 0L);
}
static inline long sys_landlock_restrict_self(int ruleset_fd) {
    return raw2(__NR_landlock_restrict_self, ruleset_fd, 0L);
}

} // namespace bvisor::sys
