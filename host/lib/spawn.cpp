// host/lib/spawn.cpp: the plan builder and the launcher spawner (bvisor/spawn.hpp).
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

UniqueFd open_or_throw(const std::string& path, int flags, const std::string& what) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) throw HostError("cannot open " + what + " " + path, errno);
    return UniqueFd(fd);
}

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

// A root's fd and kind: a directory is opened O_DIRECTORY; a regular file or a
// character device O_PATH (Landlock needs only the path, and a device must never be
// opened for real: opening one can have effects). The type is read from the fd that
// was opened, so a path swapped in between cannot change it.
std::pair<UniqueFd, Kind> open_root(const std::string& path, const std::string& what) {
    int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) throw HostError("cannot open " + what + " " + path, errno);
    UniqueFd held(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) throw HostError("cannot stat " + what + " " + path, errno);
    if (S_ISDIR(st.st_mode)) {
        int dir = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) throw HostError("cannot open " + what + " " + path, errno);
        return {UniqueFd(dir), Kind::Directory};
    }
    if (S_ISREG(st.st_mode)) return {std::move(held), Kind::Regular};
    if (S_ISCHR(st.st_mode)) return {std::move(held), Kind::CharDevice};
    const char* type = S_ISBLK(st.st_mode)    ? "a block device (never granted: it would expose a "
                                                "whole disk past every root)"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISFIFO(st.st_mode) ? "a fifo"
                                              : "not a directory, file or character device";
    throw HostError(what + " " + path + " is " + type);
}

// The kind of a root the caller opened, from the fd itself.
Kind kind_of_fd(int fd, const std::string& what) {
    struct stat st;
    if (::fstat(fd, &st) != 0) throw HostError("cannot stat " + what + " fd", errno);
    if (S_ISDIR(st.st_mode)) return Kind::Directory;
    if (S_ISREG(st.st_mode)) return Kind::Regular;
    if (S_ISCHR(st.st_mode)) return Kind::CharDevice;
    throw HostError(what + " fd " + std::to_string(fd) +
                    " is not a directory, a regular file or a character device");
}

// In the forked child: report errno to the parent and exit. Async-signal-safe.
[[noreturn]] void child_fail(int report_fd, int err) {
    ssize_t ignored = ::write(report_fd, &err, sizeof err);
    (void)ignored;
    ::_exit(127);
}

} // namespace

// ------------------------------------------------------------------ PlanBuilder

const std::vector<std::string>& system_exec_roots() {
    static const std::vector<std::string> roots = {"/usr", "/lib",  "/lib64",
                                                   "/bin", "/sbin", "/etc"};
    return roots;
}

PlanBuilder::PlanBuilder(FdLayout layout) : layout_(layout) {}

PlanBuilder& PlanBuilder::exe(std::string path) {
    exe_path_ = std::move(path);
    return *this;
}
PlanBuilder& PlanBuilder::exe_fd(UniqueFd fd) {
    exe_fd_ = std::move(fd);
    return *this;
}
PlanBuilder& PlanBuilder::argv(std::vector<std::string> argv) {
    target_.argv = std::move(argv);
    return *this;
}
PlanBuilder& PlanBuilder::env(std::string name, std::string value) {
    target_.envp.emplace_back(std::move(name), std::move(value));
    return *this;
}
PlanBuilder& PlanBuilder::read_root(std::string path) {
    roots_.push_back(Root{std::move(path), Role::ReadRoot, UniqueFd()});
    return *this;
}
PlanBuilder& PlanBuilder::write_root(std::string path) {
    roots_.push_back(Root{std::move(path), Role::WriteRoot, UniqueFd()});
    return *this;
}
PlanBuilder& PlanBuilder::read_root(UniqueFd fd) {
    roots_.push_back(Root{"", Role::ReadRoot, std::move(fd)});
    return *this;
}
PlanBuilder& PlanBuilder::write_root(UniqueFd fd) {
    roots_.push_back(Root{"", Role::WriteRoot, std::move(fd)});
    return *this;
}
PlanBuilder& PlanBuilder::system_roots() {
    system_roots_ = true;
    return *this;
}
PlanBuilder& PlanBuilder::seccomp(SeccompRequest request) {
    target_.seccomp = request;
    return *this;
}
PlanBuilder& PlanBuilder::user_namespace() {
    target_.user_namespace = true;
    return *this;
}
PlanBuilder& PlanBuilder::network_namespace() {
    target_.network_namespace = true;
    return *this;
}
PlanBuilder& PlanBuilder::cgroup(std::string dir) {
    cgroup_ = std::move(dir);
    return *this;
}
PlanBuilder& PlanBuilder::require_hardening() {
    require_hardening_ = true;
    return *this;
}
PlanBuilder& PlanBuilder::keep_capabilities(uint64_t caps) {
    target_.keep_capabilities = caps;
    return *this;
}
PlanBuilder& PlanBuilder::allow_abstract_unix() {
    target_.allow_abstract_unix = true;
    return *this;
}
PlanBuilder& PlanBuilder::allow_signals() {
    target_.allow_signals = true;
    return *this;
}
PlanBuilder& PlanBuilder::landlock_min_abi(uint8_t abi) {
    target_.landlock_min_abi = abi;
    return *this;
}
PlanBuilder& PlanBuilder::ids(const Digest& attempt_id, const Digest& plan_id, const Digest& h_a,
                              const Digest& h_p) {
    ids_[0] = attempt_id;
    ids_[1] = plan_id;
    ids_[2] = h_a;
    ids_[3] = h_p;
    return *this;
}

PreparedLaunch PlanBuilder::build() {
    PreparedLaunch out;
    LaunchBody& b = out.body;
    b.attempt_id = ids_[0];
    b.plan_id = ids_[1];
    b.h_a = ids_[2];
    b.h_p = ids_[3];

    UniqueFd exe = std::move(exe_fd_);
    if (!exe) {
        if (exe_path_.empty()) throw HostError("no program to run");
        int fd = ::open(exe_path_.c_str(), O_RDONLY | O_CLOEXEC);
        // An executable the caller may not read can still be executed through O_PATH.
        if (fd < 0 && errno == EACCES) fd = ::open(exe_path_.c_str(), O_PATH | O_CLOEXEC);
        if (fd < 0) throw HostError("cannot open program " + exe_path_, errno);
        exe = UniqueFd(fd);
    }
    b.descriptor_table.push_back(
        DescriptorSlot{static_cast<uint32_t>(layout_.exe), Role::TargetExe, Kind::Regular, false});
    out.grants.push_back(Grant{layout_.exe, std::move(exe)});

    bool first_read = true, first_write = true;
    int next_extra = layout_.extra_roots;
    auto add = [&](UniqueFd fd, Kind kind, Role role, int slot) {
        out.grants.push_back(Grant{slot, std::move(fd)});
        b.descriptor_table.push_back(
            DescriptorSlot{static_cast<uint32_t>(slot), role, kind, false});
    };
    auto add_root = [&](const std::string& path, Role role, int slot) {
        auto [fd, kind] = open_root(path, role == Role::ReadRoot ? "read root" : "write root");
        add(std::move(fd), kind, role, slot);
    };
    for (Root& r : roots_) {
        int slot;
        if (r.role == Role::ReadRoot && first_read) {
            slot = layout_.read_root;
            first_read = false;
        } else if (r.role == Role::WriteRoot && first_write) {
            slot = layout_.write_root;
            first_write = false;
        } else {
            slot = next_extra++;
        }
        if (r.fd) {
            Kind kind =
                kind_of_fd(r.fd.get(), r.role == Role::ReadRoot ? "read root" : "write root");
            add(std::move(r.fd), kind, r.role, slot);
        } else {
            add_root(r.path, r.role, slot);
        }
    }
    if (system_roots_) {
        int slot = layout_.system_roots;
        for (const auto& path : system_exec_roots()) {
            struct stat st;
            if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
            add_root(path, Role::ReadRoot, slot++);
        }
    }
    if (cgroup_) {
        out.grants.push_back(Grant{
            layout_.cgroup, open_or_throw(*cgroup_, O_RDONLY | O_DIRECTORY, "cgroup directory")});
        b.descriptor_table.push_back(DescriptorSlot{static_cast<uint32_t>(layout_.cgroup),
                                                    Role::CgroupDir, Kind::Directory, false});
    }
    std::sort(b.descriptor_table.begin(), b.descriptor_table.end(),
              [](const DescriptorSlot& x, const DescriptorSlot& y) {
                  return x.slot_index < y.slot_index;
              });

    bool any_root = std::any_of(b.descriptor_table.begin(), b.descriptor_table.end(),
                                [](const DescriptorSlot& s) {
                                    return s.role == Role::ReadRoot || s.role == Role::WriteRoot;
                                });
    b.lowering.push_back(LoweringEntry::scrub());
    if (any_root) b.lowering.push_back(LoweringEntry::landlock());
    if (target_.seccomp) b.lowering.push_back(LoweringEntry::seccomp());
    if (require_hardening_) b.lowering.push_back(LoweringEntry::hardening());
    b.lowering.push_back(LoweringEntry::exec());
    b.bind_lowering();

    b.target = target_;
    b.target.exe_slot = static_cast<uint32_t>(layout_.exe);
    return out;
}

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

    // target fd in the launcher -> source fd here. The error pipe's two variables are
    // set for compatibility but no pipe is made: hosts mark its write end
    // close-on-exec, so the launcher never sees it open anyway (PROTOCOL.md section 6), and the
    // launcher never uses either fd.
    std::map<int, int> place;
    auto put = [&](int target, int source, const char* what) {
        if (!place.emplace(target, source).second)
            throw HostError(std::string("two fds for launcher fd ") + std::to_string(target) +
                            " (" + what + ")");
    };
    put(L.control, control_child.get(), "control");
    put(L.plan, plan.get(), "plan");
    for (const Grant& g : req_.grants)
        put(g.slot, g.fd.get(), "grant");

    UniqueFd in_child, out_child, err_child;
    if (req_.capture_output) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) throw HostError("pipe2", errno);
        in_child = UniqueFd(p[0]);
        in_ = UniqueFd(p[1]);
        if (req_.stdin_data.empty())
            in_.reset();
        else
            ::fcntl(in_.get(), F_SETFL, O_NONBLOCK);
        if (::pipe2(p, O_CLOEXEC) != 0) throw HostError("pipe2", errno);
        out_ = UniqueFd(p[0]);
        out_child = UniqueFd(p[1]);
        if (::pipe2(p, O_CLOEXEC) != 0) throw HostError("pipe2", errno);
        err_ = UniqueFd(p[0]);
        err_child = UniqueFd(p[1]);
        put(0, in_child.get(), "stdin");
        put(1, out_child.get(), "stdout");
        put(2, err_child.get(), "stderr");
    } else {
        for (int i = 0; i < 3; ++i)
            if (req_.stdio[i] >= 0) put(i, req_.stdio[i], "stdio");
    }

    // Every source is first copied above every target, so placing one can never
    // overwrite another that is still to be placed.
    int base = std::max(place.rbegin()->first + 1, 3);
    std::vector<UniqueFd> high;
    std::vector<std::pair<int, int>> moves; // (target, high source)
    for (const auto& [target, source] : place) {
        int h = ::fcntl(source, F_DUPFD_CLOEXEC, base);
        if (h < 0) throw HostError("fcntl(F_DUPFD_CLOEXEC)", errno);
        high.emplace_back(h);
        moves.emplace_back(target, h);
    }

    std::vector<std::string> env = {"BVISOR_CONTROL_FD=" + std::to_string(L.control),
                                    "BVISOR_LAUNCH_PLAN_FD=" + std::to_string(L.plan),
                                    "BVISOR_ERROR_FD=" + std::to_string(L.error_write),
                                    "BVISOR_ERROR_READ_FD=" + std::to_string(L.error_read)};
    env.insert(env.end(), req_.extra_env.begin(), req_.extra_env.end());
    std::vector<char*> envp;
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> command = req_.wrapper;
    command.push_back(req_.launcher);
    std::vector<char*> argv;
    for (auto& a : command)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    auto close_child_ends = [&] {
        high.clear();
        control_child.reset();
        in_child.reset();
        out_child.reset();
        err_child.reset();
        req_.grants.clear(); // the launcher has its copies now
    };

    // The signals the launcher must start with at their defaults and unblocked.
    sigset_t reset;
    sigemptyset(&reset);
    for (int sig : req_.reset_signals)
        sigaddset(&reset, sig);

    bool plain = !req_.run_as_uid && !req_.run_as_gid && req_.join_cgroup_procs.empty() &&
                 !req_.pre_exec && !req_.die_with_host && !req_.new_process_group;
    if (plain) {
        // Nothing to do between fork and exec but placing fds: posix_spawn (a vfork,
        // no copy of our page tables) is the fast path.
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        for (const auto& [target, source] : moves)
            posix_spawn_file_actions_adddup2(&fa, source, target);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        if (!req_.reset_signals.empty()) {
            sigset_t mask;
            pthread_sigmask(SIG_SETMASK, nullptr, &mask);
            for (int sig : req_.reset_signals)
                sigdelset(&mask, sig);
            posix_spawnattr_setsigdefault(&attr, &reset);
            posix_spawnattr_setsigmask(&attr, &mask);
            posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        }
        pid_t pid;
        int err = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        close_child_ends();
        if (err != 0) throw HostError("cannot start launcher " + req_.launcher, err);
        pid_ = pid;
        return;
    }

    int rp[2];
    if (::pipe2(rp, O_CLOEXEC) != 0) throw HostError("pipe2", errno);
    UniqueFd report_read(rp[0]), report_write(rp[1]);
    std::string cgroup_procs = req_.join_cgroup_procs;

    const pid_t host = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw HostError("fork", errno);
    if (pid == 0) {
        // Forked child: async-signal-safe calls only, then exec the launcher.
        int rfd = report_write.get();
        if (req_.new_process_group && ::setpgid(0, 0) != 0) child_fail(rfd, errno);
        if (!cgroup_procs.empty()) {
            int fd = ::open(cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0 || ::write(fd, "0", 1) != 1) child_fail(rfd, errno);
            ::close(fd);
        }
        for (const auto& [target, source] : moves) {
            if (::dup2(source, target) < 0) child_fail(rfd, errno); // clears close-on-exec
        }
        if (req_.run_as_gid || req_.run_as_uid) {
            if (::setgroups(0, nullptr) != 0) child_fail(rfd, errno);
            if (req_.run_as_gid &&
                ::setresgid(*req_.run_as_gid, *req_.run_as_gid, *req_.run_as_gid) != 0)
                child_fail(rfd, errno);
            if (req_.run_as_uid &&
                ::setresuid(*req_.run_as_uid, *req_.run_as_uid, *req_.run_as_uid) != 0)
                child_fail(rfd, errno);
        }
        if (req_.pre_exec) {
            int err = req_.pre_exec(req_.pre_exec_arg);
            if (err != 0) child_fail(rfd, err);
        }
        // After the identity change, which would clear it.
        if (req_.die_with_host) {
            if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(rfd, errno);
            if (::getppid() != host) ::_exit(127); // the host is already gone
        }
        for (int sig : req_.reset_signals)
            ::signal(sig, SIG_DFL);
        ::sigprocmask(SIG_UNBLOCK, &reset, nullptr);
        ::execve(argv[0], argv.data(), envp.data());
        child_fail(rfd, errno);
    }
    pid_ = pid;
    // Both sides set the group, so it exists when we return whichever runs first
    // (EACCES once the child has exec'd: it did it itself).
    if (req_.new_process_group) (void)::setpgid(pid, pid);
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
