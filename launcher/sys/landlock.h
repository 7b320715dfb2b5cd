// launcher/sys/landlock.h: the three Landlock syscalls (Linux 5.13+), plus the
// constants newer than Debian 12's 6.1 UAPI headers.
#pragma once

#include "arch_x86_64.h"

#include <linux/landlock.h>
#include <stdint.h>

namespace bvisor::sys {

// ABI 3 (Linux 6.2) adds TRUNCATE; the 6.1 header stops at REFER (bit 13).
constexpr uint64_t kLandlockAccessFsTruncate = 1ULL << 14;
// The ABI-3 filesystem rights: bits 0..14.
constexpr uint64_t kLandlockAccessFsAbi3 = (1ULL << 15) - 1;
static_assert(kLandlockAccessFsAbi3 == 0x7FFF);
constexpr uint64_t kLandlockAccessFsReadRoot =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
static_assert(kLandlockAccessFsReadRoot == 0xD);

// The first-version attribute: handled_access_fs only. A larger struct is not needed
// (no network rights, no scopes: upstream parity, PROTOCOL.md section 7 step 4).
struct LandlockRulesetAttrV1 {
    uint64_t handled_access_fs;
};

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
static inline long sys_landlock_create_ruleset(const LandlockRulesetAttrV1* attr) {
    return raw3(__NR_landlock_create_ruleset, arg(attr), sizeof(*attr), 0L);
}
static inline long sys_landlock_add_path_rule(int ruleset_fd, const LandlockPathBeneath* rule) {
    return raw4(__NR_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, arg(rule), 0L);
}
static inline long sys_landlock_restrict_self(int ruleset_fd) {
    return raw2(__NR_landlock_restrict_self, ruleset_fd, 0L);
}

} // namespace bvisor::sys
