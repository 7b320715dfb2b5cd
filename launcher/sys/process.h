// launcher/sys/process.h: process syscalls (clone3, execveat, exit, wait, kill, ids,
// prctl, sessions, keyrings, capabilities, randomness).
//
// Typed wrappers over raw syscalls; each returns the kernel's result or -errno.
#pragma once

#include "arch_x86_64.h"

#include <linux/sched.h>
#include <stddef.h>
#include <stdint.h>
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

// The part of the kernel's siginfo that waitid fills for a child (x86-64 layout).
struct ChildSiginfo {
    int32_t signo;
    int32_t err;
    int32_t code; // CLD_EXITED, CLD_KILLED, CLD_DUMPED, ...
    int32_t pad;
    int32_t pid;
    uint32_t uid;
    int32_t status; // exit code, or the signal
    char rest[128 - 28];
};
static_assert(sizeof(ChildSiginfo) == 128);
constexpr int kPAll = 0, kPPid = 1;  // P_ALL, P_PID
constexpr int kWNoHang = 1;          // WNOHANG
constexpr int kWExited = 4;          // WEXITED
constexpr int kWNoWait = 0x01000000; // WNOWAIT
constexpr int kCldExited = 1, kCldDumped = 3;

// waitid(P_PID, pid, info, options): with WNOWAIT the child stays a zombie (its pid
// cannot be reused) until it is reaped with wait4.
static inline long sys_waitid(pid_t pid, ChildSiginfo* info, int options) {
    return raw5(__NR_waitid, kPPid, pid, arg(info), options, 0L);
}
// waitid(P_ALL, 0, info, options): any child. With WNOHANG, info->pid is 0 when children
// exist but none has changed state; -ECHILD when there are none.
static inline long sys_waitid_any(ChildSiginfo* info, int options) {
    return raw5(__NR_waitid, kPAll, 0L, arg(info), options, 0L);
}

static inline long sys_kill(pid_t pid, int sig) { return raw2(__NR_kill, pid, sig); }
static inline long sys_setsid() { return raw0(__NR_setsid); }
// Sleeps `ms` milliseconds; returns early on a handled signal.
static inline long sys_sleep_ms(long ms) {
    struct {
        long sec, nsec;
    } t{ms / 1000, (ms % 1000) * 1000000};
    return raw2(__NR_nanosleep, arg(&t), 0L);
}
static inline long sys_sched_yield() { return raw0(__NR_sched_yield); }
static inline long sys_getrandom(void* buf, size_t n, unsigned flags) {
    return raw3(__NR_getrandom, arg(buf), arg(n), flags);
}

// keyctl(2). KEYCTL_GET_KEYRING_ID probes whether keyrings are usable at all;
// KEYCTL_JOIN_SESSION_KEYRING with a null name joins a new anonymous session keyring.
constexpr int kKeyctlGetKeyringId = 0;
constexpr int kKeyctlJoinSessionKeyring = 1;
constexpr long kKeySpecSessionKeyring = -3;
static inline long sys_keyctl(int op, long a2, long a3 = 0) {
    return raw3(__NR_keyctl, op, a2, a3);
}

// capget/capset, version 3 (two 32-bit words per set: capabilities 0..63).
constexpr uint32_t kCapVersion3 = 0x20080522;
constexpr int kCapSetpcap = 8;
struct CapHeader {
    uint32_t version;
    int32_t pid;
};
struct CapData {
    uint32_t effective;
    uint32_t permitted;
    uint32_t inheritable;
};
static inline long sys_capget(CapData data[2]) {
    CapHeader h{kCapVersion3, 0};
    return raw2(__NR_capget, arg(&h), arg(data));
}
static inline long sys_capset(const CapData data[2]) {
    CapHeader h{kCapVersion3, 0};
    return raw2(__NR_capset, arg(&h), arg(data));
}
static inline long sys_getpid() { return raw0(__NR_getpid); }
static inline long sys_getppid() { return raw0(__NR_getppid); }
static inline long sys_geteuid() { return raw0(__NR_geteuid); }
static inline long sys_getegid() { return raw0(__NR_getegid); }

static inline long sys_prctl(int option, unsigned long a2, unsigned long a3 = 0,
                             unsigned long a4 = 0, unsigned long a5 = 0) {
    return raw5(__NR_prctl, option, arg(a2), arg(a3), arg(a4), arg(a5));
}

} // namespace bvisor::sys
