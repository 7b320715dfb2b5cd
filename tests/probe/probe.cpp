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
#include <arpa/inet.h>
#include <cstddef>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int report(const char* what, long result) {
    if (result >= 0) {
        std::printf("%s=ok\n", what);
        return 0;
    }
    const char* name = errno == EPERM ? "EPERM" : errno == EACCES ? "EACCES" : errno == ENOSYS ? "ENOSYS"
                       : errno == ENETUNREACH ? "ENETUNREACH" : errno == ECONNREFUSED ? "ECONNREFUSED"
                       : errno == EAGAIN ? "EAGAIN" : "other";
    std::printf("%s=%s (%s)\n", what, name, std::strerror(errno));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IONBF, 0);
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
    if (cmd == "no-landlock" && argc >= 3) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 2),
            BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
            std::perror("seccomp");
            return 2;
        }
        ::execv(argv[2], argv + 2);
        std::perror(argv[2]);
        return 127;
    }
    std::fprintf(stderr, "usage: bvisor-test-probe socket inet|inet6|unix | io_uring | x32 | fork | connect IP PORT | no-landlock PROG ARGS...\n");
    return 2;
}
