// host/lib/launcher_process.cpp: Launch, the running launcher (bvisor/spawn.hpp): its
// fds placed, its process started (posix_spawn when nothing else is needed between fork
// and exec, a fork otherwise, as musl's __posix_spawnx() and its child() split it), and
// its transcript and output read until it ends.
#include "bvisor/spawn.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <map>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bvisor {

namespace {

void write_all(int fd, const uint8_t* p, size_t n, const char* what) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw HostError(what, errno);
        p += w;
        n -= static_cast<size_t>(w);
    }
}

// The framed plan in a sealed memfd: the launcher (and anyone else holding it) can
// read it but nobody can change it any more.
UniqueFd sealed_plan(const Bytes& frame) {
    int fd = ::memfd_create("bvisor-plan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) throw HostError("memfd_create", errno);
    UniqueFd out(fd);
    write_all(fd, frame.data(), frame.size(), "write plan memfd");
    if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        throw HostError("seal plan memfd", errno);
    if (::lseek(fd, 0, SEEK_SET) != 0) throw HostError("rewind plan memfd", errno);
    return out;
}

ProcessEnd end_of(int status) {
    ProcessEnd e;
    if (WIFEXITED(status)) {
        e.exited = true;
        e.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        e.signal = WTERMSIG(status);
        e.core = WCOREDUMP(status);
    }
    return e;
}

// In the forked child: report errno to the parent and exit. Async-signal-safe.
[[noreturn]] void child_fail(int report_fd, int err) {
    ssize_t ignored = ::write(report_fd, &err, sizeof err);
    (void)ignored;
    ::_exit(127);
}

// Where each fd goes in the launcher: its number there (the target) and the fd here
// that becomes it (the source). One target, one source.
class FdPlacement {
public:
    void put(int target, int source, const char* what) {
        if (!place_.emplace(target, source).second)
            throw HostError(std::string("two fds for launcher fd ") + std::to_string(target) +
                            " (" + what + ")");
    }
    // Every source is first copied above every target, so that placing one can never
    // overwrite another still to be placed. The (target, copy) moves, in target order.
    std::vector<std::pair<int, int>> raise() {
        int base = std::max(place_.rbegin()->first + 1, 3);
        std::vector<std::pair<int, int>> moves;
        for (const auto& [target, source] : place_) {
            int h = ::fcntl(source, F_DUPFD_CLOEXEC, base);
            if (h < 0) throw HostError("fcntl(F_DUPFD_CLOEXEC)", errno);
            high_.emplace_back(h);
            moves.emplace_back(target, h);
        }
        return moves;
    }
    void release() { high_.clear(); } // once the launcher has its copies

private:
    std::map<int, int> place_;
    std::vector<UniqueFd> high_;
};

// The launcher's argv and envp for execve, with the strings they point into.
struct ExecStrings {
    std::vector<std::string> args, vars;
    std::vector<char*> argv, envp;

    explicit ExecStrings(const LaunchRequest& req) {
        const FdLayout& L = req.layout;
        vars = {"BVISOR_CONTROL_FD=" + std::to_string(L.control),
                "BVISOR_LAUNCH_PLAN_FD=" + std::to_string(L.plan),
                "BVISOR_ERROR_FD=" + std::to_string(L.error_write),
                "BVISOR_ERROR_READ_FD=" + std::to_string(L.error_read)};
        vars.insert(vars.end(), req.extra_env.begin(), req.extra_env.end());
        args = req.wrapper;
        args.push_back(req.launcher);
        for (auto& v : vars)
            envp.push_back(v.data());
        envp.push_back(nullptr);
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
    }
};

// The signals the launcher starts with at their defaults and unblocked: the one
// description both spawn paths apply.
struct SignalReset {
    std::vector<int> signals;
    sigset_t to_default; // those signals
    sigset_t mask;       // our mask now, without them: the launcher's

    explicit SignalReset(const std::vector<int>& sigs) : signals(sigs) {
        sigemptyset(&to_default);
        pthread_sigmask(SIG_SETMASK, nullptr, &mask);
        for (int sig : signals) {
            sigaddset(&to_default, sig);
            sigdelset(&mask, sig);
        }
    }
    // In a forked child (async-signal-safe).
    void apply() const {
        for (int sig : signals)
            ::signal(sig, SIG_DFL);
        ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    }
};

using Moves = std::vector<std::pair<int, int>>;

// Nothing to do between fork and exec but placing fds and signals: posix_spawn (a
// vfork, no copy of our page tables) is the fast path.
pid_t spawn_plain(const LaunchRequest& req, const Moves& moves, const ExecStrings& exec,
                  const SignalReset& reset) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    for (const auto& [target, source] : moves)
        posix_spawn_file_actions_adddup2(&fa, source, target);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (!reset.signals.empty()) {
        posix_spawnattr_setsigdefault(&attr, &reset.to_default);
        posix_spawnattr_setsigmask(&attr, &reset.mask);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    }
    pid_t pid;
    int err = ::posix_spawn(&pid, exec.argv[0], &fa, &attr, exec.argv.data(), exec.envp.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) throw HostError("cannot start launcher " + req.launcher, err);
    return pid;
}

// Everything else (a process group, a cgroup, another identity, a pre-exec hook, death
// with the host) needs a forked child. It reports a failure as an errno on `report_fd`
// and exits 127; on success the exec closes `report_fd`.
pid_t spawn_forked(const LaunchRequest& req, const Moves& moves, const ExecStrings& exec,
                   const SignalReset& reset, int report_fd) {
    const pid_t host = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw HostError("fork", errno);
    if (pid > 0) return pid;
    // Forked child: async-signal-safe calls only, then exec the launcher.
    if (req.new_process_group && ::setpgid(0, 0) != 0) child_fail(report_fd, errno);
    if (!req.join_cgroup_procs.empty()) {
        int fd = ::open(req.join_cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, "0", 1) != 1) child_fail(report_fd, errno);
        ::close(fd);
    }
    for (const auto& [target, source] : moves) {
        if (::dup2(source, target) < 0) child_fail(report_fd, errno); // clears close-on-exec
    }
    if (req.run_as_gid || req.run_as_uid) {
        if (::setgroups(0, nullptr) != 0) child_fail(report_fd, errno);
        if (req.run_as_gid && ::setresgid(*req.run_as_gid, *req.run_as_gid, *req.run_as_gid) != 0)
            child_fail(report_fd, errno);
        if (req.run_as_uid && ::setresuid(*req.run_as_uid, *req.run_as_uid, *req.run_as_uid) != 0)
            child_fail(report_fd, errno);
    }
    if (req.pre_exec) {
        int err = req.pre_exec(req.pre_exec_arg);
        if (err != 0) child_fail(report_fd, err);
    }
    // After the identity change, which would clear it.
    if (req.die_with_host) {
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report_fd, errno);
        if (::getppid() != host) ::_exit(127); // the host is already gone
    }
    reset.apply();
    ::execve(exec.argv[0], exec.argv.data(), exec.envp.data());
    child_fail(report_fd, errno);
}

} // namespace

// ------------------------------------------------------------------ Launch

Launch::Launch(LaunchRequest request) : req_(std::move(request)) {
    const FdLayout& L = req_.layout;
    deadline_ = std::chrono::steady_clock::now() + req_.timeout;

    UniqueFd plan;
    if (req_.plan_fd) {
        int fd = ::fcntl(*req_.plan_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) throw HostError("dup plan fd", errno);
        plan = UniqueFd(fd);
    } else {
        plan = sealed_plan(req_.frame);
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw HostError("socketpair", errno);
    control_ = UniqueFd(sv[0]);
    UniqueFd control_child(sv[1]);

    // The error pipe's two variables are set for compatibility but no pipe is made:
    // hosts mark its write end close-on-exec, so the launcher never sees it open anyway
    // (PROTOCOL.md section 6), and the launcher never uses either fd.
    FdPlacement place;
    place.put(L.control, control_child.get(), "control");
    place.put(L.plan, plan.get(), "plan");
    for (const Grant& g : req_.grants)
        place.put(g.slot, g.fd.get(), "grant");

    UniqueFd child_stdio[3];
    if (req_.capture_output) {
        UniqueFd* ours[3] = {&in_, &out_, &err_};
        for (int i = 0; i < 3; ++i) {
            int p[2];
            if (::pipe2(p, O_CLOEXEC) != 0) throw HostError("pipe2", errno);
            // stdin: the launcher reads p[0]; stdout and stderr: it writes p[1].
            child_stdio[i] = UniqueFd(i == 0 ? p[0] : p[1]);
            *ours[i] = UniqueFd(i == 0 ? p[1] : p[0]);
            place.put(i, child_stdio[i].get(), i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr");
        }
        if (req_.stdin_data.empty())
            in_.reset();
        else
            ::fcntl(in_.get(), F_SETFL, O_NONBLOCK);
    } else {
        for (int i = 0; i < 3; ++i)
            if (req_.stdio[i] >= 0) place.put(i, req_.stdio[i], "stdio");
    }

    const Moves moves = place.raise();
    const ExecStrings exec(req_);
    const SignalReset reset(req_.reset_signals);
    auto close_child_ends = [&] {
        place.release();
        control_child.reset();
        for (auto& fd : child_stdio)
            fd.reset();
        req_.grants.clear(); // the launcher has its copies now
    };

    bool plain = !req_.run_as_uid && !req_.run_as_gid && req_.join_cgroup_procs.empty() &&
                 !req_.pre_exec && !req_.die_with_host && !req_.new_process_group;
    if (plain) {
        pid_t pid = -1;
        try {
            pid = spawn_plain(req_, moves, exec, reset);
        } catch (...) {
            close_child_ends();
            throw;
        }
        close_child_ends();
        pid_ = pid;
        return;
    }

    int rp[2];
    if (::pipe2(rp, O_CLOEXEC) != 0) throw HostError("pipe2", errno);
    UniqueFd report_read(rp[0]), report_write(rp[1]);
    pid_ = spawn_forked(req_, moves, exec, reset, report_write.get());
    // Both sides set the group, so it exists when we return whichever runs first
    // (EACCES once the child has exec'd: it did it itself).
    if (req_.new_process_group) (void)::setpgid(pid_, pid_);
    report_write.reset();
    close_child_ends();
    int err = 0;
    ssize_t n;
    do {
        n = ::read(report_read.get(), &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    if (n == sizeof err) {
        int status;
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        throw HostError("cannot start launcher " + req_.launcher, err);
    }
}

Launch::~Launch() {
    if (!reaped_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

void Launch::kill(int sig) {
    if (!reaped_ && pid_ > 0) ::kill(pid_, sig);
}

bool Launch::pump(int timeout_ms) {
    std::vector<pollfd> p;
    std::string* sinks[3] = {&transcript_, &stdout_, &stderr_};
    UniqueFd* fds[3] = {&control_, &out_, &err_};
    int which[4];
    for (int i = 0; i < 3; ++i) {
        if (*fds[i]) {
            which[p.size()] = i;
            p.push_back({fds[i]->get(), POLLIN, 0});
        }
    }
    if (in_) {
        which[p.size()] = 3;
        p.push_back({in_.get(), POLLOUT, 0});
    }
    const size_t own = p.size();
    if (own == 0) return false;
    if (req_.io) req_.io->fds(p);
    int r = ::poll(p.data(), static_cast<nfds_t>(p.size()), timeout_ms);
    if (r < 0 && errno != EINTR) throw HostError("poll", errno);
    if (r < 0) {
        for (auto& e : p)
            e.revents = 0;
    }
    char buf[65536];
    for (size_t k = 0; k < own; ++k) {
        if (!p[k].revents) continue;
        if (which[k] == 3) {
            const std::string& data = req_.stdin_data;
            ssize_t w = ::write(in_.get(), data.data() + in_written_, data.size() - in_written_);
            if (w > 0) in_written_ += static_cast<size_t>(w);
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_written_ == data.size())
                in_.reset();
            continue;
        }
        ssize_t got = ::read(p[k].fd, buf, sizeof buf);
        if (got > 0) {
            sinks[which[k]]->append(buf, static_cast<size_t>(got));
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
            fds[which[k]]->reset();
        }
    }
    if (req_.io) req_.io->ready(p.data() + own, p.size() - own);
    return true;
}

void Launch::read_available() {
    char buf[65536];
    while (control_) {
        pollfd p{control_.get(), POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0 || !p.revents) return;
        ssize_t got = ::read(control_.get(), buf, sizeof buf);
        if (got > 0) {
            transcript_.append(buf, static_cast<size_t>(got));
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
            control_.reset();
        }
    }
}

std::optional<std::string> Launch::wait_for_line(std::string_view prefix,
                                                 std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        while (true) {
            size_t nl = transcript_.find('\n', scanned_);
            if (nl == std::string::npos) break;
            std::string line = transcript_.substr(scanned_, nl - scanned_);
            scanned_ = nl + 1;
            if (line.compare(0, prefix.size(), prefix) == 0) return line;
        }
        auto now = std::chrono::steady_clock::now();
        if (now >= until || !control_) return std::nullopt;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
        if (!pump(static_cast<int>(std::min<long long>(ms, 1000)))) return std::nullopt;
    }
}

Observation Launch::finish() {
    while (control_ || out_ || err_) {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline_) {
            if (!timed_out_) {
                timed_out_ = true;
                ::kill(pid_, SIGKILL); // the workload follows (PDEATHSIG)
                deadline_ = now + std::chrono::seconds(5);
                continue;
            }
            break; // something else holds the pipes open: stop reading
        }
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count();
        pump(static_cast<int>(std::min<long long>(ms, 1000)));
    }
    control_.reset();
    out_.reset();
    err_.reset();
    in_.reset();
    int status = 0;
    struct rusage usage {};
    if (req_.before_reap) {
        siginfo_t info{};
        while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0 &&
               errno == EINTR) {
        }
        req_.before_reap();
    }
    while (::wait4(pid_, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    end_ = end_of(status);
    end_.max_rss_kb = usage.ru_maxrss;
    Observation o = parse_transcript(transcript_);
    o.launcher = end_;
    o.out = std::move(stdout_);
    o.err = std::move(stderr_);
    o.timed_out = timed_out_;
    return o;
}

Observation run_launcher(LaunchRequest request) { return Launch(std::move(request)).finish(); }

} // namespace bvisor
