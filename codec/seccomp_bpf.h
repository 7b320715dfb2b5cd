// codec/seccomp_bpf.h: the two seccomp programs the launcher installs (x86-64),
// compiled into fixed buffers.
//
// The denylist (PROTOCOL.md section 8) is normative and tested instruction by
// instruction: arch check (kill on anything but x86-64), x32 / out-of-range check
// (kill), one jeq+ret(ERRNO(EPERM)) pair per denied syscall number in ascending order,
// then ALLOW. It stays byte-identical to upstream's.
//
// The hardening filter (docs/PROTOCOL.md section 11) is a second, separate program, so
// the denylist never changes: the same arch and x32 checks, then truncate(2) fails with
// EACCES (Landlock below ABI 3 cannot check it), then ioctl(TIOCSTI) and
// ioctl(TIOCLINUX) fail with EPERM (terminal input injection), then ALLOW.
//
// Pure code: the launcher compiles both before clone3 and the child only installs them.
#pragma once

#include "base.h"
#include "plan.h"

namespace bvisor::codec {

// Same layout as the kernel's `struct sock_filter`.
struct BpfInsn {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
};
static_assert(sizeof(BpfInsn) == 8);

// Classic BPF opcodes and seccomp constants (public kernel ABI values).
constexpr uint16_t kBpfLdWAbs = 0x20; // BPF_LD | BPF_W | BPF_ABS
constexpr uint16_t kBpfJeqK = 0x15;   // BPF_JMP | BPF_JEQ | BPF_K
constexpr uint16_t kBpfJgeK = 0x35;   // BPF_JMP | BPF_JGE | BPF_K
constexpr uint16_t kBpfRetK = 0x06;   // BPF_RET | BPF_K
constexpr uint32_t kAuditArchX86_64 = 0xC000003E;
constexpr uint32_t kX32SyscallBit = 0x40000000;
constexpr uint32_t kSeccompRetKillProcess = 0x80000000;
constexpr uint32_t kSeccompRetErrnoEperm = 0x00050001;  // SECCOMP_RET_ERRNO | EPERM
constexpr uint32_t kSeccompRetErrnoEacces = 0x0005000D; // SECCOMP_RET_ERRNO | EACCES
constexpr uint32_t kSeccompRetAllow = 0x7FFF0000;
constexpr uint32_t kSeccompDataNr = 0;   // offsetof(struct seccomp_data, nr)
constexpr uint32_t kSeccompDataArch = 4; // offsetof(struct seccomp_data, arch)
// The low 32 bits of args[1] (offsetof(args) = 16, little-endian). ioctl's request is
// an unsigned int to the kernel, so only these bits name the request: comparing all 64
// would let 0x100005412 through (Flatpak's CVE-2019-10063).
constexpr uint32_t kSeccompDataArg1Low = 24;

// x86-64 syscall numbers the denylists name.
constexpr uint32_t kNrSocket = 41, kNrClone = 56, kNrFork = 57, kNrVfork = 58,
                   kNrIoUringSetup = 425, kNrIoUringEnter = 426, kNrIoUringRegister = 427,
                   kNrClone3 = 435;

constexpr uint32_t kNrIoctl = 16, kNrTruncate = 76;
constexpr uint32_t kTiocsti = 0x5412, kTioclinux = 0x541C;

constexpr size_t kMaxDeniedSyscalls = 8;
constexpr size_t kMaxSeccompInsns = 6 + 2 * kMaxDeniedSyscalls + 1;

// What the hardening filter denies.
struct HardeningFilter {
    bool deny_truncate = false;   // truncate(2) -> EACCES (Landlock ABI < 3)
    bool deny_tty_inject = false; // ioctl TIOCSTI / TIOCLINUX -> EPERM
    bool empty() const { return !deny_truncate && !deny_tty_inject; }
};
constexpr size_t kMaxHardeningInsns = 6 + 2 + 5 + 1;

// The denied numbers for `req`, ascending; returns how many.
size_t seccomp_denied_syscalls(SeccompRequest req, uint32_t out[kMaxDeniedSyscalls]);
// The whole program; returns its length in instructions.
size_t compile_seccomp_denylist(SeccompRequest req, BpfInsn out[kMaxSeccompInsns]);
// The hardening program; returns its length in instructions (0 when `f` is empty).
size_t compile_hardening_filter(HardeningFilter f, BpfInsn out[kMaxHardeningInsns]);

} // namespace bvisor::codec
