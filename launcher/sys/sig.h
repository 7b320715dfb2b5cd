// launcher/sys/sig.h: rt_sigaction / rt_sigprocmask with the kernel's own layout.
//
// musl's `struct sigaction` is not the kernel's; this header defines the kernel's
// (x86-64: handler, flags, restorer, 64-bit mask) and the restorer trampoline that
// x86-64 requires for any handler that returns.
#pragma once

#include "arch_x86_64.h"

#include <stdint.h>

namespace bvisor::sys {

constexpr int kSigMax = 64; // _NSIG on x86-64
constexpr unsigned long kSaRestorer = 0x04000000UL;
constexpr unsigned long kSaRestart = 0x10000000UL;
constexpr int kSigBlock = 0;   // SIG_BLOCK
constexpr int kSigSetmask = 2; // SIG_SETMASK

using SigSet = uint64_t; // bit (n - 1) is signal n

struct KernelSigaction {
    void (*handler)(int); // also SIG_DFL (0) and SIG_IGN (1)
    unsigned long flags;
    void (*restorer)();
    SigSet mask;
};

inline constexpr void (*kSigDfl)(int) = nullptr;
inline void (*sig_ign())(int) { return reinterpret_cast<void (*)(int)>(1L); }

// The trampoline a handler returns into: it only issues rt_sigreturn. Naked so the
// compiler adds no prologue (the kernel's signal frame must be at %rsp).
extern "C" [[noreturn]] void bvisor_sys_restore_rt();

static inline long sys_rt_sigaction(int sig, const KernelSigaction* act, KernelSigaction* old) {
    return raw4(__NR_rt_sigaction, sig, arg(act), arg(old), sizeof(SigSet));
}

static inline long sys_rt_sigprocmask(int how, const SigSet* set, SigSet* old) {
    return raw4(__NR_rt_sigprocmask, how, arg(set), arg(old), sizeof(SigSet));
}

// Installs `handler` for `sig` with every signal blocked while it runs.
static inline long sys_set_handler(int sig, void (*handler)(int)) {
    KernelSigaction act{};
    act.handler = handler;
    act.flags = kSaRestorer | kSaRestart;
    act.restorer = bvisor_sys_restore_rt;
    act.mask = ~SigSet{0};
    return sys_rt_sigaction(sig, &act, nullptr);
}

// Sets SIG_DFL or SIG_IGN; no restorer is needed because no handler ever runs.
static inline long sys_set_disposition(int sig, void (*disposition)(int)) {
    KernelSigaction act{};
    act.handler = disposition;
    return sys_rt_sigaction(sig, &act, nullptr);
}

} // namespace bvisor::sys
