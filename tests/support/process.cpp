// tests/support/process.cpp: see process.hpp.
#include "process.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace bvisor::test {

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& envp, const std::string& input,
                          std::chrono::milliseconds bound) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<char*> av, ev;
    for (auto& a : argv)
        av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    for (auto& e : envp)
        ev.push_back(const_cast<char*>(e.c_str()));
    ev.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (bound.count() > 0) {
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    }
    pid_t pid;
    int rc = ::posix_spawn(&pid, av[0], &fa, &attr, av.data(), ev.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        throw std::runtime_error("posix_spawn " + argv[0] + " failed");
    }
    ProcessResult r;
    size_t written = 0;
    if (input.empty()) {
        ::close(in[1]);
        in[1] = -1;
    } else {
        // Never block on a full stdin pipe while the child blocks on a full stdout.
        ::fcntl(in[1], F_SETFL, ::fcntl(in[1], F_GETFL) | O_NONBLOCK);
    }
    int open_fds = 2;
    char buf[65536];
    auto until = std::chrono::steady_clock::now() + bound;
    while (open_fds > 0 || in[1] >= 0) {
        pollfd p[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
        int wait_ms = -1;
        if (bound.count() > 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                r.timed_out = true;
                ::kill(-pid, SIGKILL);
                break;
            }
            wait_ms = static_cast<int>(left.count());
        }
        if (::poll(p, 3, wait_ms) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = ::read(p[i].fd, buf, sizeof buf);
                if (n > 0) {
                    (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
                } else if (n == 0 || errno != EINTR) {
                    ::close(p[i].fd);
                    (i == 0 ? out[0] : err[0]) = -1;
                    --open_fds;
                }
            }
        }
        if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = ::write(in[1], input.data() + written, input.size() - written);
            if (n > 0) written += static_cast<size_t>(n);
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
                ::close(in[1]);
                in[1] = -1;
            }
        }
    }
    for (int fd : {in[1], out[0], err[0]})
        if (fd >= 0) ::close(fd);
    int status = 0;
    if (bound.count() > 0) { // it may hold no pipe and still run: bounded too
        while (::waitpid(pid, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() >= until) {
                r.timed_out = true;
                ::kill(-pid, SIGKILL);
                break;
            }
            ::usleep(2000);
        }
    }
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
}

ProcessResult run_shell(const std::string& script) {
    return run_process({"/bin/sh", "-c", script},
                       {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"});
}

} // namespace bvisor::test
