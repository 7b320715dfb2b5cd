// launcher/sys/sig.cpp: the rt_sigreturn trampoline (see sig.h).
#include "sig.h"

extern "C" [[noreturn]] __attribute__((naked)) void bvisor_sys_restore_rt() {
    __asm__ volatile("mov %0, %%rax\n\tsyscall\n\thlt" : : "i"(__NR_rt_sigreturn));
}
