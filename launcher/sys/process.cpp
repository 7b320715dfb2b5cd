// launcher/sys/process.cpp: the clone3 trampoline (see process.h). Assembly only.
#include "process.h"

// In: rdi = args, rsi = size, rdx = child, rcx = arg. The syscall instruction keeps
// r8 and r9 in both processes, so child and arg travel there. In the child, rsp is the
// top of the new stack (or our own, misaligned by the return address): align it to 16
// for the call, clear rbp so no unwinder walks into the parent's frames.
extern "C" __attribute__((naked)) long bvisor_sys_clone3_call(struct clone_args*, size_t,
                                                              void (*)(const void*), const void*) {
    __asm__ volatile("mov %%rdx, %%r8\n\t"
                     "mov %%rcx, %%r9\n\t"
                     "mov %0, %%eax\n\t"
                     "syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jz 1f\n\t"
                     "ret\n"
                     "1:\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "and $-16, %%rsp\n\t"
                     "mov %%r9, %%rdi\n\t"
                     "call *%%r8\n\t"
                     "mov $127, %%edi\n\t"
                     "mov %1, %%eax\n\t"
                     "syscall\n\t"
                     "hlt"
                     :
                     : "i"(__NR_clone3), "i"(__NR_exit_group));
}
