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
//   open-trunc HOW PATH           open PATH with O_TRUNC but not for writing, HOW being
//                                 open, openat, openat2 (O_RDONLY|O_TRUNC, each its own
//                                 system call), io_uring (IORING_OP_OPENAT, the same
//                                 flags) or mode3 (openat with access mode 3)
//   open-mode3 PATH               openat PATH with access mode 3 (no read, no write)
//   tty-noecho PATH               open the terminal PATH with access mode 3 and turn
//                                 its echo off (TCSETS)
//   tty-ioctl NAME                ioctl(0, NAME): tiocsetd (N_NULL), tiocexcl, tiocnxcl
//   key-add-user DESC SECRET IDFILE
//   key-add-persistent DESC SECRET IDFILE
//                                 add a user key DESC=SECRET to this uid's user keyring
//                                 (@u) or its persistent keyring; write its id to IDFILE
//   key-steal-user DESC OUT       link @u into the session keyring, find DESC, read it
//                                 into OUT (what a program could copy out)
//   key-steal-persistent DESC OUT the same through KEYCTL_GET_PERSISTENT
//   key-invalidate ID             invalidate key ID (test cleanup)
//   count-signals SIG MS READY OUT
//                                 count SIG for MS milliseconds after creating READY,
//                                 then write the count to OUT
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <algorithm>
#include <dirent.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
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
#include <time.h>
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

// One IORING_OP_OPENAT through a fresh ring, by raw system calls: the result of the
// open (an fd or -errno) in *ret, or -1 with errno when the ring itself failed.
long uring_openat(const char* path, int flags, long* ret) {
    io_uring_params p{};
    long ring = ::syscall(SYS_io_uring_setup, 1, &p);
    if (ring < 0) return -1;
    int fd = static_cast<int>(ring);
    size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    size_t len = sq_len > cq_len ? sq_len : cq_len; // one mapping (IORING_FEAT_SINGLE_MMAP)
    auto* sq = static_cast<char*>(
        ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQ_RING));
    auto* sqes = static_cast<io_uring_sqe*>(::mmap(
        nullptr, sizeof(io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQES));
    if (sq == MAP_FAILED || sqes == MAP_FAILED || !(p.features & IORING_FEAT_SINGLE_MMAP)) {
        errno = ENOTSUP;
        return -1;
    }
    std::memset(sqes, 0, sizeof *sqes);
    sqes->opcode = IORING_OP_OPENAT;
    sqes->fd = AT_FDCWD;
    sqes->addr = reinterpret_cast<uint64_t>(path);
    sqes->open_flags = static_cast<uint32_t>(flags);
    auto* array = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
    auto* tail = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
    array[0] = 0;
    __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
    if (::syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0) < 0) return -1;
    auto* cqes = reinterpret_cast<io_uring_cqe*>(sq + p.cq_off.cqes);
    auto* chead = reinterpret_cast<unsigned*>(sq + p.cq_off.head);
    *ret = cqes[*chead & *reinterpret_cast<unsigned*>(sq + p.cq_off.ring_mask)].res;
    return 0;
}

int open_trunc(const std::string& how, const char* path) {
    const int flags = O_RDONLY | O_TRUNC | O_CLOEXEC;
    if (how == "open") return outcome("open", ::syscall(SYS_open, path, flags, 0));
    if (how == "openat") return outcome("openat", ::syscall(SYS_openat, AT_FDCWD, path, flags, 0));
    if (how == "mode3")
        return outcome("openat", ::syscall(SYS_openat, AT_FDCWD, path, flags | O_ACCMODE, 0));
    if (how == "openat2") {
        open_how h{};
        h.flags = static_cast<uint64_t>(flags);
        return outcome("openat2", ::syscall(SYS_openat2, AT_FDCWD, path, &h, sizeof h));
    }
    if (how == "io_uring") {
        long res = 0;
        if (uring_openat(path, flags, &res) != 0) return outcome("io_uring", -1);
        if (res < 0) errno = static_cast<int>(-res);
        return outcome("io_uring_openat", res);
    }
    return -1;
}

int tty_noecho(const char* path) {
    int fd = ::open(path, O_ACCMODE | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return outcome("open", -1);
    termios t{};
    if (::tcgetattr(fd, &t) != 0) return outcome("tcgetattr", -1);
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    return outcome("tcsetattr", ::tcsetattr(fd, TCSANOW, &t));
}

int tty_ioctl(const std::string& name) {
    if (name == "tiocsetd") {
        int ldisc = 27; // N_NULL: the terminal swallows every byte
        return outcome("tiocsetd", ::ioctl(0, TIOCSETD, &ldisc));
    }
    if (name == "tiocexcl") return outcome("tiocexcl", ::ioctl(0, TIOCEXCL));
    if (name == "tiocnxcl") return outcome("tiocnxcl", ::ioctl(0, TIOCNXCL));
    return -1;
}

// The keyring `which` names ("user": @u; "persistent": the uid's persistent keyring,
// linked into the session keyring as a Kerberos KEYRING:persistent cache does), or -1.
long keyring(const std::string& which) {
    if (which == "user") return KEY_SPEC_USER_KEYRING;
    long id = ::syscall(SYS_keyctl, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_SESSION_KEYRING);
    if (id < 0) outcome("keyctl_get_persistent", id);
    return id < 0 ? -1 : id;
}

int key_add_to(long keyring, const char* desc, const char* secret, const char* id_file) {
    if (keyring == -1) return 1;
    long id = ::syscall(SYS_add_key, "user", desc, secret, std::strlen(secret), keyring);
    if (id < 0) return outcome("add_key", -1);
    std::string text = std::to_string(id);
    if (!write_file(id_file, text.data(), text.size())) return outcome("add_key(id file)", -1);
    return outcome("add_key", 0);
}

int key_steal(long keyring, const char* desc, const char* out) {
    if (keyring == -1) return 1;
    if (keyring == KEY_SPEC_USER_KEYRING &&
        ::syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING) < 0)
        return outcome("keyctl_link", -1);
    long id = ::syscall(SYS_keyctl, KEYCTL_SEARCH, keyring, "user", desc, 0);
    if (id < 0) return outcome("keyctl_search", -1);
    return key_read(id, out);
}

// Counts `sig` for `ms` milliseconds, the window opening when READY exists.
volatile sig_atomic_t g_signals = 0;
void count_one(int) { g_signals = g_signals + 1; }

int count_signals(int sig, long ms, const char* ready, const char* out) {
    struct sigaction sa = {};
    sa.sa_handler = count_one;
    ::sigaction(sig, &sa, nullptr);
    if (!write_file(ready, "", 0)) return outcome("ready", -1);
    timespec left{ms / 1000, (ms % 1000) * 1000000};
    while (::nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
    std::string text = std::to_string(static_cast<int>(g_signals));
    return outcome("count", write_file(out, text.data(), text.size()) ? 0 : -1);
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
    if (cmd == "open-trunc" && argc == 4) return open_trunc(arg(2), arg(3));
    if (cmd == "open-mode3" && argc == 3)
        return outcome("openat", ::open(arg(2), O_ACCMODE | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (cmd == "tty-noecho" && argc == 3) return tty_noecho(arg(2));
    if (cmd == "tty-ioctl" && argc == 3) return tty_ioctl(arg(2));
    if (cmd.rfind("key-add-", 0) == 0 && argc == 5)
        return key_add_to(keyring(cmd.substr(8)), arg(2), arg(3), arg(4));
    if (cmd.rfind("key-steal-", 0) == 0 && argc == 4)
        return key_steal(keyring(cmd.substr(10)), arg(2), arg(3));
    if (cmd == "key-invalidate" && argc == 3)
        return outcome("keyctl_unlink",
                       ::syscall(SYS_keyctl, KEYCTL_INVALIDATE, std::atol(arg(2))));
    if (cmd == "count-signals" && argc == 6)
        return count_signals(std::atoi(arg(2)), std::atol(arg(3)), arg(4), arg(5));
    if (cmd == "first-write" && (argc == 4 || argc == 5)) {
        int fd = ::open(arg(2), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) ::close(fd);
        if (argc == 5 && list_fds(arg(4)) != 0) return 99;
        return std::atoi(arg(3));
    }
    return -1;
}
