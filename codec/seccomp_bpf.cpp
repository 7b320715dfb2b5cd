// codec/seccomp_bpf.cpp: see seccomp_bpf.h.
#include "seccomp_bpf.h"

namespace bvisor::codec {

size_t seccomp_denied_syscalls(SeccompRequest req, uint32_t out[kMaxDeniedSyscalls]) {
    // Both lists are ascending and interleave as: socket < clone.. < io_uring.. < clone3.
    size_t n = 0;
    if (req.deny_inet_sockets) out[n++] = kNrSocket;
    if (req.deny_new_tasks) {
        out[n++] = kNrClone;
        out[n++] = kNrFork;
        out[n++] = kNrVfork;
    }
    if (req.deny_inet_sockets) {
        // io_uring can create sockets (IORING_OP_SOCKET) without socket(2): PROTOCOL.md section 8.
        out[n++] = kNrIoUringSetup;
        out[n++] = kNrIoUringEnter;
        out[n++] = kNrIoUringRegister;
    }
    if (req.deny_new_tasks) out[n++] = kNrClone3;
    return n;
}

namespace {

struct Emitter {
    BpfInsn* out;
    size_t n = 0;
    void operator()(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
        out[n++] = BpfInsn{code, jt, jf, k};
    }
};

// Both programs start alike: kill anything but a native x86-64 call, leaving the
// syscall number in the accumulator.
void emit_prologue(Emitter& emit) {
    emit(kBpfLdWAbs, 0, 0, kSeccompDataArch);
    emit(kBpfJeqK, 1, 0, kAuditArchX86_64);
    emit(kBpfRetK, 0, 0, kSeccompRetKillProcess);
    emit(kBpfLdWAbs, 0, 0, kSeccompDataNr);
    // x32 numbers have bit 30 set; anything that high is not a native x86-64 call (killed:
    // PROTOCOL.md section 8).
    emit(kBpfJgeK, 0, 1, kX32SyscallBit);
    emit(kBpfRetK, 0, 0, kSeccompRetKillProcess);
}

} // namespace

size_t compile_seccomp_denylist(SeccompRequest req, BpfInsn out[kMaxSeccompInsns]) {
    Emitter emit{out};
    emit_prologue(emit);
    uint32_t denied[kMaxDeniedSyscalls];
    size_t count = seccomp_denied_syscalls(req, denied);
    for (size_t i = 0; i < count; ++i) {
        emit(kBpfJeqK, 0, 1, denied[i]);
        emit(kBpfRetK, 0, 0, kSeccompRetErrnoEperm);
    }
    emit(kBpfRetK, 0, 0, kSeccompRetAllow);
    return emit.n;
}

namespace {

// `nr` fails with `ret`. The accumulator holds the syscall number on entry and exit.
void emit_deny(Emitter& emit, uint32_t nr, uint32_t ret) {
    emit(kBpfJeqK, 0, 1, nr);
    emit(kBpfRetK, 0, 0, ret);
}

// open (flags in args[1]) or openat (args[2]): access mode 3 fails, and so, when
// `truncate` (Landlock below ABI 3), does O_TRUNC without write access; every other
// open is allowed. Skipped whole when the number is not `nr`.
void emit_open_rule(Emitter& emit, uint32_t nr, uint32_t flags_at, bool truncate) {
    const uint8_t len = truncate ? 8 : 7; // this block's instructions
    emit(kBpfJeqK, 0, static_cast<uint8_t>(len - 1), nr);
    emit(kBpfLdWAbs, 0, 0, flags_at);
    emit(kBpfAndK, 0, 0, kOTrunc | kOAccmode);
    // The jumps below land on the last instruction, the EACCES return.
    emit(kBpfJeqK, static_cast<uint8_t>(len - 5), 0, kOAccmode);
    emit(kBpfJeqK, static_cast<uint8_t>(len - 6), 0, kOTrunc | kOAccmode);
    if (truncate) emit(kBpfJeqK, 1, 0, kOTrunc); // O_RDONLY | O_TRUNC
    emit(kBpfRetK, 0, 0, kSeccompRetAllow);
    emit(kBpfRetK, 0, 0, kSeccompRetErrnoEacces);
}

// prlimit64: only on the caller itself (pid 0, as libc's setrlimit and getrlimit pass
// it; the kernel reads a pid_t, the low 32 bits); any other pid fails with EPERM.
void emit_prlimit_rule(Emitter& emit) {
    emit(kBpfJeqK, 0, 4, kNrPrlimit64);
    emit(kBpfLdWAbs, 0, 0, kSeccompDataArg0Low);
    emit(kBpfJeqK, 0, 1, 0);
    emit(kBpfRetK, 0, 0, kSeccompRetAllow);
    emit(kBpfRetK, 0, 0, kSeccompRetErrnoEperm);
}

// ioctl: the requests of kDeniedTtyIoctls fail with EPERM, by the request's low 32
// bits; every other request is allowed.
void emit_ioctl_rule(Emitter& emit) {
    constexpr size_t kRequests = sizeof kDeniedTtyIoctls / sizeof kDeniedTtyIoctls[0];
    constexpr uint8_t len = 4 + kRequests;
    emit(kBpfJeqK, 0, len - 1, kNrIoctl);
    emit(kBpfLdWAbs, 0, 0, kSeccompDataArg1Low);
    for (size_t i = 0; i < kRequests; ++i) // jump to the EPERM return, the last
        emit(kBpfJeqK, static_cast<uint8_t>(kRequests - i), 0, kDeniedTtyIoctls[i]);
    emit(kBpfRetK, 0, 0, kSeccompRetAllow);
    emit(kBpfRetK, 0, 0, kSeccompRetErrnoEperm);
}

// socket(): see NetFilter. The jumps go forward to the four returns that end the block;
// a jump target below kReturn is an ordinary relative offset.
void emit_socket_rule(Emitter& emit, NetFilter mode) {
    enum : uint8_t { kReturn = 0x80, kAllow = kReturn, kAcces, kAfno, kProto, kEnd };
    constexpr uint32_t kReturns[] = {kSeccompRetAllow, kSeccompRetErrnoEacces,
                                     kSeccompRetErrnoEafnosupport, kSeccompRetErrnoEprotonosupport};
    BpfInsn body[16];
    size_t n = 0;
    auto op = [&](uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
        body[n++] = BpfInsn{code, jt, jf, k};
    };
    const bool tcp = mode == NetFilter::TcpOnly;
    op(kBpfJeqK, 0, kEnd, kNrSocket);
    op(kBpfLdWAbs, 0, 0, kSeccompDataArg0Low); // the family
    op(kBpfJeqK, kAllow, 0, kAfUnix);
    op(kBpfJeqK, 0, 2, kAfNetlink);
    op(kBpfLdWAbs, 0, 0, kSeccompDataArg2Low); // the netlink protocol
    op(kBpfJeqK, kAllow, kProto, kNetlinkRoute);
    op(kBpfJeqK, tcp ? 1 : kAcces, 0, kAfInet);
    op(kBpfJeqK, tcp ? 0 : kAcces, kAfno, kAfInet6);
    if (tcp) {
        op(kBpfLdWAbs, 0, 0, kSeccompDataArg1Low); // the type
        op(kBpfAndK, 0, 0, kSockTypeMask);
        op(kBpfJeqK, 0, kAcces, kSockStream);
        op(kBpfLdWAbs, 0, 0, kSeccompDataArg2Low); // the protocol
        op(kBpfJeqK, kAllow, 0, 0);
        op(kBpfJeqK, kAllow, kAcces, kIpprotoTcp);
    }
    auto resolve = [&](size_t at, uint8_t j) -> uint8_t {
        if (j < kReturn) return j;
        return static_cast<uint8_t>(n + (j - kReturn) - (at + 1));
    };
    for (size_t i = 0; i < n; ++i)
        emit(body[i].code, resolve(i, body[i].jt), resolve(i, body[i].jf), body[i].k);
    for (uint32_t ret : kReturns)
        emit(kBpfRetK, 0, 0, ret);
}

// `nr` fails with EACCES when the flags argument at `flags_at` has any bit of `mask`.
void emit_flag_rule(Emitter& emit, uint32_t nr, uint32_t flags_at, uint32_t mask) {
    emit(kBpfJeqK, 0, 5, nr);
    emit(kBpfLdWAbs, 0, 0, flags_at);
    emit(kBpfAndK, 0, 0, mask);
    emit(kBpfJeqK, 0, 1, 0);
    emit(kBpfRetK, 0, 0, kSeccompRetAllow);
    emit(kBpfRetK, 0, 0, kSeccompRetErrnoEacces);
}

void emit_network_rules(Emitter& emit, NetFilter mode) {
    if (mode == NetFilter::Off) return;
    emit_deny(emit, kNrPidfdGetfd, kSeccompRetErrnoEperm);
    emit_socket_rule(emit, mode);
    // socketpair: AF_UNIX only. A family that pairs (TIPC) would make sockets the
    // socket() rule never saw.
    emit(kBpfJeqK, 0, 4, kNrSocketpair);
    emit(kBpfLdWAbs, 0, 0, kSeccompDataArg0Low);
    emit(kBpfJeqK, 0, 1, kAfUnix);
    emit(kBpfRetK, 0, 0, kSeccompRetAllow);
    emit(kBpfRetK, 0, 0, kSeccompRetErrnoEafnosupport);
    if (mode != NetFilter::TcpOnly) return;
    emit_flag_rule(emit, kNrSendto, kSeccompDataArg3Low, kMsgFastopen);
    emit_flag_rule(emit, kNrSendmsg, kSeccompDataArg2Low, kMsgFastopen);
    emit_flag_rule(emit, kNrSendmmsg, kSeccompDataArg3Low, kMsgFastopen);
}

} // namespace

size_t compile_hardening_filter(HardeningFilter f, BpfInsn out[kMaxHardeningInsns]) {
    Emitter emit{out};
    emit_prologue(emit);
    if (f.truncate_by_seccomp) emit_deny(emit, kNrTruncate, kSeccompRetErrnoEacces);
    emit_deny(emit, kNrOpenat2, kSeccompRetErrnoEnosys);
    constexpr uint32_t kDenied[] = {kNrIoUringSetup, kNrIoUringEnter, kNrIoUringRegister,
                                    kNrAddKey,       kNrRequestKey,   kNrKeyctl};
    for (uint32_t nr : kDenied)
        emit_deny(emit, nr, kSeccompRetErrnoEperm);
    emit_network_rules(emit, f.network);
    emit_open_rule(emit, kNrOpen, kSeccompDataArg1Low, f.truncate_by_seccomp);
    emit_open_rule(emit, kNrOpenat, kSeccompDataArg2Low, f.truncate_by_seccomp);
    emit_prlimit_rule(emit);
    emit_ioctl_rule(emit);
    emit(kBpfRetK, 0, 0, kSeccompRetAllow);
    return emit.n;
}

} // namespace bvisor::codec
