// launcher/sys/process.h: process syscalls (clone3, execveat, exit, wait, kill, ids,
// prctl).
//
// Typed wrappers over raw syscalls; each returns the kernel's result or -errno.
#pragma once

#include "arch_x86_64.h"

#include <linux/sched.h>
#include <stddef.h>
#include <sys/types.h>

namespace bvisor::sys {

// clone3(2), Linux 5.3 (CLONE_INTO_CGROUP: 5.7), with the child started in a function.
// The child never returns from this call: it calls child(arg) on `args->stack` (or, when
// args->stack is 0, on its copy of our stack) and exit_group(127)s if that returns. That
// is what makes CLONE_VM safe: a child sharing our memory must not unwind frames the
// parent will return through. Returns the child's pid in the parent, or -errno.
// Implemented in process.cpp (assembly: the child's first instructions run on a stack
// the compiler knows nothing about).
extern "C" long bvisor_sys_clone3_call(struct clone_args* args, size_t size,
                                       void (*child)(const void* arg), const void* arg);
static inline long sys_clone3_call(struct clone_args* args, void (*child)(const void*),
                                   const void* arg) {
    return bvisor_sys_clone3_call(args, sizeof(*args), child, arg);
}

// execveat(2), Linux 3.19: with AT_EMPTY_PATH and path "" it executes the file that
// `fd` refers to. Returns only on failure.
static inline long sys_execveat(int fd, const char* path, char* const argv[], char* const envp[],
                                int flags) {
    return raw5(__NR_execveat, fd, arg(path), arg(argv), arg(envp), flags);
}

[[noreturn]] static inline void sys_exit_group(int status) {
    for (;;)
        (void)raw1(__NR_exit_group, status);
}

// wait4 with no rusage: the status word is the classic wait status.
static inline long sys_wait4(pid_t pid, int* status, int options) {
    return raw4(__NR_wait4, pid, arg(status), options, 0L);
}

static inline long sys_kill(pid_t pid, int sig) { return raw2(__NR_kill, pid, sig); }
static inline long sys_getpid() { return raw0(__NR_getpid); }
static inline long sys_getppid() { return raw0(__NR_getppid); }
static inline long sys_geteuid() { return raw0(__NR_geteuid); }
static inline long sys_getegid() { return raw0(__NR_getegid); }

static inline long sys_prctl(int option, unsigned long a2, unsigned long a3 = 0,
                             unsigned long a4 = 0, unsigned long a5 = 0) {
    return raw5(__NR_prctl, option, arg(a2), arg(a3), arg(a4), arg(a5));
}

} // namespace bvisor::sys
