// tests/probe/probe.cpp: bvisor-test-probe, a workload for the confinement tests.
// Each subcommand tries one thing the sandbox may deny and prints what happened as
// one line `<what>=ok` or `<what>=<ERRNO name>`; the tests judge by that line, by the
// exit status, or by the signal that killed it.
//
//   socket inet|inet6|unix   create a socket
//   io_uring                 io_uring_setup(2)
//   x32                      an x32 system call (getpid | __X32_SYSCALL_BIT)
//   fork                     fork(2) and wait for the child
//   connect IP PORT          a TCP connection to IP:PORT
//   no-landlock PROG ARGS... exec PROG with the Landlock syscalls failing with ENOSYS,
//                            as on a kernel without Landlock (a seccomp filter)
//   landlock-abi N PROG ARGS...
//                            run PROG (and everything it starts) seeing Landlock ABI N:
//                            a seccomp user-notification supervisor answers the
//                            version query with N and the errata query with EINVAL,
//                            and lets every other Landlock call through
#include <arpa/inet.h>
#include <cstddef>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// The child side of landlock-abi: install the notifying filter, hand its listener to
// the parent over `sock`, exec PROG.
[[noreturn]] void run_with_listener(int sock, char** prog) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 444, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog fprog = {static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(126);
    int listener = static_cast<int>(
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog));
    if (listener < 0) ::_exit(126);
    char byte = 0;
    iovec iov{&byte, 1};
    char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &listener, sizeof listener);
    if (::sendmsg(sock, &msg, 0) != 1) ::_exit(126);
    ::close(listener);
    ::close(sock);
    ::execv(prog[0], prog);
    ::_exit(127);
}

int landlock_abi_supervisor(long abi, char** prog) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 2;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(sv[0]);
        run_with_listener(sv[1], prog);
    }
    ::close(sv[1]);
    char byte;
    iovec iov{&byte, 1};
    char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(sv[0], &msg, 0) != 1) return 2;
    int listener;
    std::memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof listener);
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) return 2;
    // Why poll and not a bare SECCOMP_IOCTL_NOTIF_RECV loop (measured in the matrix
    // guests): on 6.1 that ioctl never returns once every task under the filter is gone
    // (it waits for a request that cannot come; 6.12 returns ENOENT), and an exited task
    // still counts as a user of the filter until it is reaped (6.12: until it exits). The
    // listener's POLLHUP says "no users left" on both, so PROG, our child, is reaped as
    // soon as its pidfd says it exited, and the loop ends at POLLHUP.
    int status = -1;
    seccomp_notif req;
    seccomp_notif_resp resp;
    for (;;) {
        pollfd p[2] = {{listener, POLLIN, 0}, {status == -1 ? pidfd : -1, POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[1].revents & POLLIN) {
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
        if (p[0].revents & POLLIN) {
            std::memset(&req, 0, sizeof req);
            // ENOENT: the caller died or was interrupted before we got to it.
            if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
            std::memset(&resp, 0, sizeof resp);
            resp.id = req.id;
            if (req.data.args[0] == 0 && req.data.args[1] == 0 && req.data.args[2] == 1) {
                resp.val = abi; // LANDLOCK_CREATE_RULESET_VERSION
            } else if (req.data.args[0] == 0 && req.data.args[1] == 0 && req.data.args[2] == 2) {
                resp.error = -EINVAL; // no errata query on such an old kernel
            } else {
                resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
            }
            ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
            continue;
        }
        if (p[0].revents & (POLLHUP | POLLERR)) break; // every task under the filter is gone
    }
    if (status == -1) {
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int report(const char* what, long result) {
    if (result >= 0) {
        std::printf("%s=ok\n", what);
        return 0;
    }
    const char* name = errno == EPERM          ? "EPERM"
                       : errno == EACCES       ? "EACCES"
                       : errno == ENOSYS       ? "ENOSYS"
                       : errno == ENETUNREACH  ? "ENETUNREACH"
                       : errno == ECONNREFUSED ? "ECONNREFUSED"
                       : errno == EAGAIN       ? "EAGAIN"
                                               : "other";
    std::printf("%s=%s (%s)\n", what, name, std::strerror(errno));
    return 1;
}

} // namespace

int probe_action(int argc, char** argv); // tests/probe/actions.cpp

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    if (int r = probe_action(argc, argv); r >= 0) return r;
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "socket" && argc == 3) {
        std::string fam = argv[2];
        int domain = fam == "inet" ? AF_INET : fam == "inet6" ? AF_INET6 : AF_UNIX;
        return report(("socket_" + fam).c_str(), ::socket(domain, SOCK_STREAM, 0));
    }
    if (cmd == "io_uring") {
        unsigned char params[120] = {};
        return report("io_uring_setup", ::syscall(425, 1, params));
    }
    if (cmd == "x32") {
        long r = ::syscall(0x40000000L | 39);
        return report("x32", r);
    }
    if (cmd == "fork") {
        pid_t pid = ::fork();
        if (pid == 0) ::_exit(0);
        if (pid > 0) ::waitpid(pid, nullptr, 0);
        return report("fork", pid);
    }
    if (cmd == "connect" && argc == 4) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return report("connect", -1);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(std::stoi(argv[3])));
        ::inet_pton(AF_INET, argv[2], &a.sin_addr);
        return report("connect", ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
    }
    // net KIND ADDR PORT: one attempt to reach ADDR:PORT, sending "x". KIND is tcp,
    // tcp6 (ADDR is IPv6), udp (sendto without connect), mptcp, or fastopen (sendto
    // with MSG_FASTOPEN, no connect). The verdict is the listener's, not this line.
    if (cmd == "net" && argc == 5) {
        std::string kind = argv[2];
        bool v6 = kind == "tcp6";
        sockaddr_storage ss{};
        socklen_t len;
        uint16_t port = htons(static_cast<uint16_t>(std::stoi(argv[4])));
        if (v6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_port = port;
            ::inet_pton(AF_INET6, argv[3], &a->sin6_addr);
            len = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            a->sin_port = port;
            ::inet_pton(AF_INET, argv[3], &a->sin_addr);
            len = sizeof *a;
        }
        int type = kind == "udp" ? SOCK_DGRAM : SOCK_STREAM;
        int proto = kind == "mptcp" ? 262 /* IPPROTO_MPTCP */ : 0;
        int fd = ::socket(v6 ? AF_INET6 : AF_INET, type, proto);
        if (fd < 0) return report(("net_" + kind).c_str(), -1);
        auto* sa = reinterpret_cast<sockaddr*>(&ss);
        long r = kind == "udp"                 ? ::sendto(fd, "x", 1, 0, sa, len)
                 : kind == "fastopen"          ? ::sendto(fd, "x", 1, MSG_FASTOPEN, sa, len)
                 : ::connect(fd, sa, len) == 0 ? ::send(fd, "x", 1, 0)
                                               : -1;
        return report(("net_" + kind).c_str(), r);
    }
    if (cmd == "landlock-abi" && argc >= 4)
        return landlock_abi_supervisor(std::stol(argv[2]), argv + 3);
    if (cmd == "no-landlock" && argc >= 3) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 2),
            BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
            std::perror("seccomp");
            return 2;
        }
        ::execv(argv[2], argv + 2);
        std::perror(argv[2]);
        return 127;
    }
    std::fprintf(stderr,
                 "usage: bvisor-test-probe socket inet|inet6|unix | io_uring | x32 | fork | "
                 "connect IP PORT | no-landlock PROG ARGS... | landlock-abi N PROG ARGS...\n");
    return 2;
}
