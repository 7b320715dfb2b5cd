// launcher/sys/fd.h: file descriptor syscalls (read, write, open, stat, close).
//
// Typed wrappers over raw syscalls; each returns the kernel's result or -errno.
// Async-signal-safe and allocation-free, so the child may call any of them.
#pragma once

#include "arch_x86_64.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

namespace bvisor::sys {

static inline long sys_read(int fd, void* buf, size_t n) {
    return raw3(__NR_read, fd, arg(buf), arg(n));
}
static inline long sys_write(int fd, const void* buf, size_t n) {
    return raw3(__NR_write, fd, arg(buf), arg(n));
}
static inline long sys_pread(int fd, void* buf, size_t n, long offset) {
    return raw4(__NR_pread64, fd, arg(buf), arg(n), offset);
}
static inline long sys_close(int fd) { return raw1(__NR_close, fd); }
static inline long sys_openat(int dirfd, const char* path, int flags, unsigned mode) {
    return raw4(__NR_openat, dirfd, arg(path), flags, mode);
}
// struct stat from musl is the kernel's x86-64 `struct stat` byte for byte.
static inline long sys_fstat(int fd, struct stat* st) { return raw2(__NR_fstat, fd, arg(st)); }
static inline long sys_fcntl(int fd, int cmd, long value) {
    return raw3(__NR_fcntl, fd, cmd, value);
}
static inline long sys_pipe2(int fds[2], int flags) { return raw2(__NR_pipe2, arg(fds), flags); }
// close_range(2), Linux 5.9. `last` is inclusive; ~0U means "to the end".
static inline long sys_close_range(unsigned first, unsigned last, unsigned flags) {
    return raw3(__NR_close_range, first, last, flags);
}

} // namespace bvisor::sys
