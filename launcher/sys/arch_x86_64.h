// launcher/sys/arch_x86_64.h: the x86-64 system call instruction, and nothing else.
//
// This is the bottom of the launcher's syscall basement. Every raw syscall in the
// project goes through raw0..raw6 below; nothing outside launcher/sys/ may use inline
// assembly or syscall numbers (toolchain/lint.sh enforces it).
//
// Convention: the kernel's own. The return value is the result, or -errno in
// [-4095, -1]. There is no errno global anywhere in the launcher.
#pragma once

#if !defined(__x86_64__)
#error "bvisor-linux-launcher supports x86-64 only (PROTOCOL.md section 8 is x86-64)"
#endif

#include <asm/unistd.h>

namespace bvisor::sys {

// rcx and r11 are clobbered by the syscall instruction itself; "memory" because the
// kernel reads and writes through pointer arguments.
static inline long raw0(long nr) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

static inline long raw1(long nr, long a1) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1) : "rcx", "r11", "memory");
    return ret;
}

static inline long raw2(long nr, long a1, long a2) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2) : "rcx", "r11", "memory");
    return ret;
}

static inline long raw3(long nr, long a1, long a2, long a3) {
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long raw4(long nr, long a1, long a2, long a3, long a4) {
    long ret;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long raw5(long nr, long a1, long a2, long a3, long a4, long a5) {
    long ret;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long raw6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    long ret;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

template <class T> static inline long arg(T* p) { return reinterpret_cast<long>(p); }
template <class T> static inline long arg(const T* p) { return reinterpret_cast<long>(p); }
static inline long arg(long v) { return v; }
static inline long arg(int v) { return v; }
static inline long arg(unsigned v) { return static_cast<long>(v); }
static inline long arg(unsigned long v) { return static_cast<long>(v); }
static inline long arg(decltype(nullptr)) { return 0; }

} // namespace bvisor::sys
