// codec/seccomp_bpf.h: the two seccomp programs the launcher installs (x86-64),
// compiled into fixed buffers.
//
// The denylist (PROTOCOL.md section 8) is normative and tested instruction by
// instruction: arch check (kill on anything but x86-64), x32 / out-of-range check
// (kill), one jeq+ret(ERRNO(EPERM)) pair per denied syscall number in ascending order,
// then ALLOW. It stays byte-identical to upstream's.
//
// The hardening filter (docs/PROTOCOL.md section 11.2) is a second, separate program,
// so the denylist never changes: the same arch and x32 checks, then what Landlock
// cannot see or decide:
//   * below Landlock ABI 3 (the kernel checks no truncation): truncate(2), and open or
//     openat with O_TRUNC on a descriptor not opened for writing, fail with EACCES;
//   * always: open and openat with access mode 3 (no read, no write: Landlock asks for
//     no right at all, so it would open any file or terminal for ioctl) fail with
//     EACCES; openat2 fails with ENOSYS (its flags sit in a struct a filter cannot read;
//     callers fall back to openat); io_uring fails with EPERM (its operations bypass
//     seccomp); the keyring calls fail with EPERM (the uid's user and persistent
//     keyrings are reachable from any session keyring); prlimit64 on any process but
//     the caller fails with EPERM (Landlock does not scope it: the workload could lower
//     the launcher's limits, or any process of its uid's); and the terminal ioctls that
//     inject input or take a terminal over fail with EPERM.
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
constexpr uint16_t kBpfAndK = 0x54;   // BPF_ALU | BPF_AND | BPF_K
constexpr uint32_t kAuditArchX86_64 = 0xC000003E;
constexpr uint32_t kX32SyscallBit = 0x40000000;
constexpr uint32_t kSeccompRetKillProcess = 0x80000000;
constexpr uint32_t kSeccompRetErrnoEperm = 0x00050001;           // SECCOMP_RET_ERRNO | EPERM
constexpr uint32_t kSeccompRetErrnoEacces = 0x0005000D;          // SECCOMP_RET_ERRNO | EACCES
constexpr uint32_t kSeccompRetErrnoEnosys = 0x00050026;          // SECCOMP_RET_ERRNO | ENOSYS
constexpr uint32_t kSeccompRetErrnoEprotonosupport = 0x0005005D; // | EPROTONOSUPPORT (93)
constexpr uint32_t kSeccompRetErrnoEafnosupport = 0x00050061;    // | EAFNOSUPPORT (97)
constexpr uint32_t kSeccompRetAllow = 0x7FFF0000;
constexpr uint32_t kSeccompDataNr = 0;   // offsetof(struct seccomp_data, nr)
constexpr uint32_t kSeccompDataArch = 4; // offsetof(struct seccomp_data, arch)
// The low 32 bits of args[1] (offsetof(args) = 16, little-endian). ioctl's request is
// an unsigned int to the kernel, so only these bits name the request: comparing all 64
// would let 0x100005412 through (Flatpak's CVE-2019-10063). Open flags are an int to
// the kernel too: the low 32 bits of args[1] (open) and args[2] (openat).
constexpr uint32_t kSeccompDataArg0Low = 16;
constexpr uint32_t kSeccompDataArg1Low = 24;
constexpr uint32_t kSeccompDataArg2Low = 32;
constexpr uint32_t kSeccompDataArg3Low = 40;

// x86-64 syscall numbers the denylists name.
constexpr uint32_t kNrSocket = 41, kNrClone = 56, kNrFork = 57, kNrVfork = 58,
                   kNrIoUringSetup = 425, kNrIoUringEnter = 426, kNrIoUringRegister = 427,
                   kNrClone3 = 435;

// x86-64 syscall numbers the hardening filter names.
constexpr uint32_t kNrOpen = 2, kNrIoctl = 16, kNrTruncate = 76, kNrAddKey = 248,
                   kNrRequestKey = 249, kNrKeyctl = 250, kNrOpenat = 257, kNrPrlimit64 = 302,
                   kNrOpenat2 = 437;
// x86-64 syscall numbers the network rules name (sendto and sendmmsg take their flags in
// args[3], sendmsg in args[2]).
constexpr uint32_t kNrSendto = 44, kNrSendmsg = 46, kNrSocketpair = 53, kNrSendmmsg = 307,
                   kNrPidfdGetfd = 438;
// Socket families, types and protocols (public ABI values). The kernel reads each
// socket() argument as an int: the low 32 bits. The type's low 4 bits are the type
// proper (SOCK_TYPE_MASK); SOCK_NONBLOCK and SOCK_CLOEXEC sit above them.
constexpr uint32_t kAfUnix = 1, kAfInet = 2, kAfInet6 = 10, kAfNetlink = 16;
constexpr uint32_t kNetlinkRoute = 0, kSockStream = 1, kSockTypeMask = 0xf, kIpprotoTcp = 6;
constexpr uint32_t kMsgFastopen = 0x20000000;
// Open flags (the kernel's octal values): the access mode and O_TRUNC.
constexpr uint32_t kOAccmode = 03, kOTrunc = 01000;
// Terminal ioctls: input injection (TIOCSTI, TIOCLINUX's paste), and taking a terminal
// over: its line discipline (TIOCSETD: N_NULL leaves it dead), exclusive mode (TIOCEXCL:
// every later open, /dev/tty included, fails with EBUSY; TIOCNXCL), the console
// (TIOCCONS) and hanging it up (TIOCVHANGUP).
constexpr uint32_t kTiocsti = 0x5412, kTioclinux = 0x541C, kTiocsetd = 0x5423, kTiocexcl = 0x540C,
                   kTiocnxcl = 0x540D, kTioccons = 0x541D, kTiocvhangup = 0x5437;
constexpr uint32_t kDeniedTtyIoctls[] = {kTiocsti,  kTioclinux, kTiocsetd,   kTiocexcl,
                                         kTiocnxcl, kTioccons,  kTiocvhangup};

constexpr size_t kMaxDeniedSyscalls = 8;
constexpr size_t kMaxSeccompInsns = 6 + 2 * kMaxDeniedSyscalls + 1;

// The network policy's socket rules (docs/PROTOCOL.md section 11.4), in the hardening
// filter when the plan has a network entry:
//   * Off: none (no network entry);
//   * DenyAll: socket() succeeds only for AF_UNIX and AF_NETLINK with NETLINK_ROUTE
//     (getaddrinfo and getifaddrs ask the kernel for addresses through it); AF_INET and
//     AF_INET6 fail with EACCES, another netlink protocol with EPROTONOSUPPORT, every
//     other family (packet, vsock, bluetooth, ...) with EAFNOSUPPORT;
//   * TcpOnly (Landlock's TCP rules decide which ports): as DenyAll, except that an
//     AF_INET or AF_INET6 socket of type SOCK_STREAM and protocol 0 or IPPROTO_TCP is
//     allowed (UDP, raw, SCTP and MPTCP still fail with EACCES), and sendto, sendmsg
//     and sendmmsg with MSG_FASTOPEN fail with EACCES (a fast-open send connects without
//     connect(2), where Landlock does not look).
// Both deny pidfd_getfd (EPERM): a descriptor taken from another process is a way to a
// socket made outside the policy; and socketpair for any family but AF_UNIX
// (EAFNOSUPPORT), which would make sockets the socket() rule never saw.
enum class NetFilter : uint8_t { Off, DenyAll, TcpOnly };

// What the hardening filter decides beyond what it always denies.
struct HardeningFilter {
    // Landlock older than ABI 3 checks no truncation: truncate(2) and O_TRUNC opens
    // that are not for writing fail with EACCES.
    bool truncate_by_seccomp = false;
    NetFilter network = NetFilter::Off;
};
// Prologue, truncate, openat2, six denied calls, the network rules (pidfd_getfd, the
// socket and socketpair blocks, three send blocks), the open and openat blocks, prlimit64, the
// ioctl block, ALLOW.
constexpr size_t kMaxHardeningInsns =
    6 + 2 + 2 + 2 * 6 + (2 + 18 + 5 + 3 * 6) + 2 * 8 + 5 + (4 + 7) + 1;

// The denied numbers for `req`, ascending; returns how many.
size_t seccomp_denied_syscalls(SeccompRequest req, uint32_t out[kMaxDeniedSyscalls]);
// The whole program; returns its length in instructions.
size_t compile_seccomp_denylist(SeccompRequest req, BpfInsn out[kMaxSeccompInsns]);
// The hardening program; returns its length in instructions.
size_t compile_hardening_filter(HardeningFilter f, BpfInsn out[kMaxHardeningInsns]);

} // namespace bvisor::codec
