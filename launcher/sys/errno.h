// launcher/sys/errno.h: the errno values and signal numbers the launcher tests for, named
// once. Raw syscalls return -errno, so each errno is also given negated (kEintr = -EINTR),
// which is what a result is compared with. And the one EINTR loop.
#pragma once

#include <asm-generic/errno-base.h>
#include <asm-generic/errno.h>

namespace bvisor::sys {

constexpr long kEperm = -EPERM;
constexpr long kEintr = -EINTR;
constexpr long kEio = -EIO;
constexpr long kEbadf = -EBADF;
constexpr long kEchild = -ECHILD;
constexpr long kEacces = -EACCES;
constexpr long kEnosys = -ENOSYS;

// The generic Linux numbers (x86-64 and arm64 alike); <asm/signal.h> is not included,
// since its struct sigaction is not the one sig.h passes to the kernel.
constexpr int kSigKill = 9;
constexpr int kSigSegv = 11;
constexpr int kSigPipe = 13;
constexpr int kSigChld = 17;
constexpr int kSigStop = 19;

// `call()` again while a signal interrupted it; its last result.
template <class F> long retry_eintr(F call) {
    long r;
    do {
        r = call();
    } while (r == kEintr);
    return r;
}

} // namespace bvisor::sys
