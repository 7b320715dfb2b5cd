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
        // io_uring can create sockets (IORING_OP_SOCKET) without socket(2): D13.
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
    // x32 numbers have bit 30 set; anything that high is not a native x86-64 call (D9).
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

size_t compile_hardening_filter(HardeningFilter f, BpfInsn out[kMaxHardeningInsns]) {
    if (f.empty()) return 0;
    Emitter emit{out};
    emit_prologue(emit);
    if (f.deny_truncate) {
        emit(kBpfJeqK, 0, 1, kNrTruncate);
        emit(kBpfRetK, 0, 0, kSeccompRetErrnoEacces);
    }
    if (f.deny_tty_inject) {
        emit(kBpfJeqK, 0, 4, kNrIoctl);              // not ioctl: to ALLOW
        emit(kBpfLdWAbs, 0, 0, kSeccompDataArg1Low); // the request's 32 bits
        emit(kBpfJeqK, 1, 0, kTiocsti);
        emit(kBpfJeqK, 0, 1, kTioclinux);
        emit(kBpfRetK, 0, 0, kSeccompRetErrnoEperm);
    }
    emit(kBpfRetK, 0, 0, kSeccompRetAllow);
    return emit.n;
}

} // namespace bvisor::codec
