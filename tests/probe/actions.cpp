// tests/probe/actions.cpp: more bvisor-test-probe subcommands, each one thing an
// attacker (or an ordinary program) tries from inside the sandbox. Each prints one line
// `<what>=ok` or `<what>=<ERRNO name> (<text>)` and exits 0 or 1; the tests judge by the
// ground truth (the disk, a listener, a marker process), the line is for messages.
//
//   truncate PATH                 truncate(2) PATH to 0 bytes (by path)
//   ftruncate PATH                open(O_RDWR) then ftruncate(2) to 0 bytes (by fd)
//   rename FROM TO                rename(2)
//   tiocsti TEXT                  push TEXT and a newline into fd 0's terminal input
//                                 (ioctl TIOCSTI), as if typed
//   tiocsti-wide TEXT             the same with bit 32 set in the request, which the
//                                 kernel ignores (it reads an unsigned int)
//   kill PID SIG                  kill(2); PID 0 is the caller's process group
//   connect-abstract NAME         connect to the abstract unix socket @NAME
//   key-read ID OUT               keyctl(KEYCTL_READ) key ID; on success write it to OUT
//   key-add DESC SECRET IDFILE PROG...
//                                 join a new session keyring, add a user key, write its
//                                 id to IDFILE, exec PROG (which inherits the keyring)
//   mknod PATH                    mknod(2) PATH as a character device 1:3
//   setcap PATH                   setxattr(2) security.capability (v2, cap_setuid) on PATH
//   chmod PATH MODE               chmod(2), MODE in octal
//   fds OUT                       write every open fd number to OUT (O_PATH ones too)
//   spawn-all                     fork(2), vfork(2), clone(2), clone3(2), each as its own
//                                 system call (glibc's fork() is clone): one line each
//   first-write PATH CODE [FDS]   create PATH (the workload's first act), then write the
//                                 open fds to FDS (as `fds` does), exit CODE
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <algorithm>
#include <dirent.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>
#include <vector>

int probe_action(int argc, char** argv); // called by probe.cpp's main

namespace {

int outcome(const char* what, long result) {
    if (result >= 0) {
        std::printf("%s=ok\n", what);
        return 0;
    }
    int e = errno;
    const char* name = strerrorname_np(e);
    std::printf("%s=%s (%s)\n", what, name ? name : "other", std::strerror(e));
    return 1;
}

bool write_file(const char* path, const void* data, size_t len) {
    int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    bool ok = ::write(fd, data, len) == static_cast<ssize_t>(len);
    return ::close(fd) == 0 && ok;
}

int tiocsti(const char* text, unsigned long high_bits) {
    std::string line = std::string(text) + "\n";
    for (const char& c : line) {
        // Through syscall(2) so the full 64-bit request reaches the kernel unchanged.
        long r = ::syscall(SYS_ioctl, 0, high_bits | TIOCSTI, &c);
        if (r != 0) return outcome("tiocsti", r);
    }
    return outcome("tiocsti", 0);
}

int connect_abstract(const char* name) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return outcome("connect_abstract", -1);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    size_t n = std::strlen(name);
    if (n + 1 > sizeof a.sun_path) n = sizeof a.sun_path - 1;
    std::memcpy(a.sun_path + 1, name, n); // sun_path[0] = '\0': the abstract namespace
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
    return outcome("connect_abstract", ::connect(fd, reinterpret_cast<sockaddr*>(&a), len));
}

int key_read(long id, const char* out) {
    char buf[256];
    long n = ::syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof buf);
    if (n >= 0 && !write_file(out, buf, static_cast<size_t>(n) < sizeof buf ? n : sizeof buf))
        return outcome("key_read(write)", -1);
    return outcome("key_read", n);
}

int key_add(const char* desc, const char* secret, const char* id_file, char** prog) {
    if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "bvisor-test") < 0)
        return outcome("join_session_keyring", -1);
    long id =
        ::syscall(SYS_add_key, "user", desc, secret, std::strlen(secret), KEY_SPEC_SESSION_KEYRING);
    if (id < 0) return outcome("add_key", -1);
    std::string text = std::to_string(id);
    if (!write_file(id_file, text.data(), text.size())) return outcome("add_key(id file)", -1);
    ::execv(prog[0], prog);
    return outcome("exec", -1);
}

int setcap(const char* path) {
    // vfs_cap_data revision 2: magic_etc, then permitted/inheritable for two words.
    uint32_t data[5] = {0x02000000u | 1u /* VFS_CAP_FLAGS_EFFECTIVE */, 1u << 7 /* setuid */, 0, 0,
                        0};
    return outcome("setcap", ::setxattr(path, "security.capability", data, sizeof data, 0));
}

// Every open fd, O_PATH ones included (poll(2) and most fd calls do not see those).
// From /proc/self/fd when this process may read it; otherwise by asking the kernel
// about each number (fcntl F_GETFD works on every kind of fd) up to the hard
// RLIMIT_NOFILE, capped at 65536.
int list_fds(const char* out) {
    std::string text;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        int own = ::dirfd(d);
        std::vector<int> fds;
        while (dirent* e = ::readdir(d)) {
            char* end;
            long fd = std::strtol(e->d_name, &end, 10);
            if (*end == '\0' && e->d_name[0] != '\0' && fd != own)
                fds.push_back(static_cast<int>(fd));
        }
        ::closedir(d);
        std::sort(fds.begin(), fds.end());
        for (int fd : fds)
            text += std::to_string(fd) + "\n";
    } else {
        rlimit lim{};
        ::getrlimit(RLIMIT_NOFILE, &lim);
        long n = lim.rlim_max > 65536 ? 65536 : static_cast<long>(lim.rlim_max);
        for (long fd = 0; fd < n; ++fd)
            if (::fcntl(static_cast<int>(fd), F_GETFD) >= 0) text += std::to_string(fd) + "\n";
    }
    return outcome("fds", write_file(out, text.data(), text.size()) ? 0 : -1);
}

// Each way to make a process, by its own system call number; a child exits at once.
int spawn_all() {
    int failed = 0;
    auto reap = [&](const char* what, long pid) {
        if (pid == 0) ::_exit(0);
        if (pid > 0) ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
        failed += outcome(what, pid);
    };
    reap("fork", ::syscall(SYS_fork));
    reap("vfork", ::vfork()); // glibc's vfork is the vfork system call (58)
    reap("clone", ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
    clone_args args{};
    args.exit_signal = SIGCHLD;
    reap("clone3", ::syscall(SYS_clone3, &args, sizeof args));
    return failed == 0 ? 0 : 1;
}

} // namespace

int probe_action(int argc, char** argv) {
    std::string cmd = argc > 1 ? argv[1] : "";
    auto arg = [&](int i) { return argv[i]; };
    if (cmd == "truncate" && argc == 3) return outcome("truncate", ::truncate(arg(2), 0));
    if (cmd == "ftruncate" && argc == 3) {
        int fd = ::open(arg(2), O_RDWR | O_CLOEXEC);
        return outcome("ftruncate", fd < 0 ? -1 : ::ftruncate(fd, 0));
    }
    if (cmd == "rename" && argc == 4) return outcome("rename", ::rename(arg(2), arg(3)));
    if (cmd == "tiocsti" && argc == 3) return tiocsti(arg(2), 0);
    if (cmd == "tiocsti-wide" && argc == 3) return tiocsti(arg(2), 1ul << 32);
    if (cmd == "kill" && argc == 4)
        return outcome("kill", ::kill(std::atoi(arg(2)), std::atoi(arg(3))));
    if (cmd == "connect-abstract" && argc == 3) return connect_abstract(arg(2));
    if (cmd == "key-read" && argc == 4) return key_read(std::atol(arg(2)), arg(3));
    if (cmd == "key-add" && argc >= 6) return key_add(arg(2), arg(3), arg(4), argv + 5);
    if (cmd == "mknod" && argc == 3)
        return outcome("mknod", ::mknod(arg(2), S_IFCHR | 0600, makedev(1, 3)));
    if (cmd == "setcap" && argc == 3) return setcap(arg(2));
    if (cmd == "chmod" && argc == 4)
        return outcome("chmod",
                       ::chmod(arg(2), static_cast<mode_t>(std::strtol(arg(3), nullptr, 8))));
    if (cmd == "fds" && argc == 3) return list_fds(arg(2));
    if (cmd == "spawn-all" && argc == 2) return spawn_all();
    if (cmd == "first-write" && (argc == 4 || argc == 5)) {
        int fd = ::open(arg(2), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) ::close(fd);
        if (argc == 5 && list_fds(arg(4)) != 0) return 99;
        return std::atoi(arg(3));
    }
    return -1;
}
