// host/lib/terminal.cpp: see bvisor/terminal.hpp.
#include "bvisor/terminal.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace bvisor {

namespace {

// The signals Foreground takes, written as one byte each to a pipe the relay waits on:
// the handler does nothing else, so nothing it does can race the loop.
int g_wake[2] = {-1, -1};
constexpr int kTaken[] = {SIGTSTP, SIGCONT, SIGWINCH};

void wake(int sig) {
    int saved = errno;
    char c = static_cast<char>(sig);
    ssize_t ignored = ::write(g_wake[1], &c, 1); // a full pipe already says "wake up"
    (void)ignored;
    errno = saved;
}

// All of it, also to a terminal someone set O_NONBLOCK on (the file description is
// shared with the shell): nothing the workload wrote is dropped.
void write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd out = {fd, POLLOUT, 0};
            (void)::poll(&out, 1, -1);
            continue;
        }
        if (w <= 0) return; // the user's terminal is gone: the output has nowhere to go
        p += w;
        n -= static_cast<size_t>(w);
    }
}

bool is_char(cc_t c, cc_t special) { return special != _POSIX_VDISABLE && c == special; }

// kTaken as a set, for sigprocmask.
sigset_t taken_set() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : kTaken)
        sigaddset(&set, sig);
    return set;
}

} // namespace

std::span<const int> Foreground::taken_signals() { return kTaken; }

Foreground::Foreground(bool relay) {
    if (g_wake[0] < 0 && ::pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0)
        throw HostError("pipe2 (signal wake-up)", errno);
    // Held until start() can act on them (the header says why).
    sigset_t taken = taken_set();
    ::sigprocmask(SIG_BLOCK, &taken, nullptr);
    if (!relay) return;
    for (int fd = 0; fd < 3; ++fd) {
        relay_fd_[fd] = ::isatty(fd) == 1;
        if (relay_fd_[fd] && term_ < 0) term_ = fd;
    }
    if (term_ < 0) return; // no terminal: nothing to relay
    out_ = relay_fd_[1] ? 1 : relay_fd_[2] ? 2 : term_;
    input_ = relay_fd_[0] && relay_fd_[1];
    if (relay_fd_[0] && !relay_fd_[1]) { // a pipeline: the terminal is not ours to read
        null_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_ < 0) throw HostError("open /dev/null", errno);
    }
    // A terminal is never handed over: without a pty there is no launch.
    auto no_pty = [](const char* call) {
        return HostError(std::string("fd 0, 1 or 2 is a terminal, and no new pseudo-terminal can "
                                     "be made for the workload (") +
                             call + ": " + std::strerror(errno) +
                             "); a terminal is never handed over: redirect stdin, stdout and "
                             "stderr away from it",
                         errno);
    };
    if (::tcgetattr(term_, &saved_) != 0) throw no_pty("tcgetattr");
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0) throw no_pty("posix_openpt");
    if (::grantpt(master_) != 0 || ::unlockpt(master_) != 0) throw no_pty("unlockpt");
    // The slave straight from the master (TIOCGPTPEER, Linux 4.13): no path to look up.
    slave_ = ::ioctl(master_, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave_ < 0) throw no_pty("TIOCGPTPEER");
    if (::tcsetattr(slave_, TCSANOW, &saved_) != 0) throw HostError("tcsetattr on the pty", errno);
    copy_window_size();
    ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
}

Foreground::~Foreground() {
    finish();
    if (slave_ >= 0) ::close(slave_);
    if (null_ >= 0) ::close(null_);
}

void Foreground::start(std::function<long(bool)> workload_group) {
    workload_group_ = std::move(workload_group);
    for (int* fd : {&slave_, &null_}) { // the launcher has its copies
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
    winch_ = relaying(); // without a pty, SIGWINCH stays forwarded to the launcher
    for (int sig : kTaken) {
        if (sig == SIGWINCH && !winch_) continue;
        struct sigaction sa = {};
        sa.sa_handler = wake;
        sigfillset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        ::sigaction(sig, &sa, nullptr);
    }
    sigset_t taken = taken_set();
    ::sigprocmask(SIG_UNBLOCK, &taken, nullptr);
    if (input_ && foreground()) raw(true);
}

void Foreground::finish() {
    if (ended_) return;
    ended_ = true;
    if (relaying()) {
        to_user(true); // whatever the pty still holds: the workload's last words
        raw(false);
        ::close(master_);
        master_ = -1;
    }
    if (!workload_group_) { // never started: nothing was taken, only held
        sigset_t taken = taken_set();
        ::sigprocmask(SIG_UNBLOCK, &taken, nullptr);
        return;
    }
    for (int sig : kTaken)
        if (sig != SIGWINCH || winch_) ::signal(sig, SIG_DFL);
}

bool Foreground::foreground() const {
    pid_t fg = ::tcgetpgrp(term_);
    // Not our controlling terminal: no job control applies to us.
    return fg < 0 || fg == ::getpgrp();
}

void Foreground::raw(bool on) {
    if (on == raw_) return;
    if (on) {
        struct termios t = saved_;
        ::cfmakeraw(&t);
        if (::tcsetattr(term_, TCSANOW, &t) == 0) raw_ = true;
    } else {
        ::tcsetattr(term_, TCSANOW, &saved_);
        raw_ = false;
    }
}

void Foreground::copy_window_size() {
    struct winsize w {};
    if (::ioctl(term_, TIOCGWINSZ, &w) == 0) (void)::ioctl(master_, TIOCSWINSZ, &w);
}

void Foreground::signal_group(int sig) {
    long group = workload_group_ ? workload_group_(true) : 0;
    if (group > 0) {
        // Before its setsid the child leads no group yet: then the child itself (its
        // window reports the signal, and nothing runs).
        if (::kill(static_cast<pid_t>(-group), sig) != 0 && errno == ESRCH)
            ::kill(static_cast<pid_t>(group), sig);
    } else if (group == 0 && (sig == SIGINT || sig == SIGQUIT)) {
        // Typed before the workload exists: as the terminal would have, to us; our
        // forwarding makes it end the launch ("interrupted ... nothing ran").
        ::kill(::getpid(), sig);
    }
}

// A stop reaches the workload only by its group (SIGSTOP cannot be forwarded), and the
// workload can be running before the launcher's line naming it has arrived: a slow
// parent after clone3 (seen in a loaded qemu guest) would let Ctrl-Z stop bvisor-run
// and leave the workload running. So the stop waits for that line, or for the launch to
// end, bounded: a launcher still starting (no child yet) is not waited for past 3 s.
void Foreground::await_group() {
    for (int ms = 0; ms < 3000 && workload_group_ && workload_group_(true) == 0; ++ms)
        ::poll(nullptr, 0, 1);
}

void Foreground::suspend() {
    await_group();
    signal_group(SIGSTOP); // not SIGTSTP: the workload's group is orphaned (see the header)
    if (relaying()) raw(false);
    // Stop ourselves the way the shell expects of a job: by SIGTSTP's default action.
    // The kernel discards it if our own group is orphaned; then we simply go on.
    struct sigaction dfl = {}, old = {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGTSTP, &dfl, &old);
    ::kill(::getpid(), SIGTSTP);
    ::sigaction(SIGTSTP, &old, nullptr);
    resume();
}

void Foreground::resume() {
    if (relaying()) {
        if (input_ && foreground()) raw(true);
        copy_window_size();
    }
    signal_group(SIGCONT);
}

void Foreground::fds(std::vector<struct pollfd>& out) {
    out.push_back({g_wake[0], POLLIN, 0});
    if (!relaying() || ended_) return;
    short events = hung_up_ ? 0 : POLLIN;
    if (!pending_.empty()) events |= POLLOUT;
    if (events) out.push_back({master_, events, 0});
    // Typed input is read only while we are the foreground job (in the background the
    // shell's next line is not ours to take), only as fast as the pty takes it, and
    // never once the workload has ended (it is then the shell's).
    long group = workload_group_ ? workload_group_(false) : 0;
    if (input_ && pending_.empty() && group >= 0 && foreground()) out.push_back({term_, POLLIN, 0});
}

void Foreground::ready(const struct pollfd* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (!p[i].revents) continue;
        if (p[i].fd == g_wake[0]) {
            char sigs[64];
            ssize_t got = ::read(g_wake[0], sigs, sizeof sigs);
            for (ssize_t k = 0; k < got; ++k) {
                if (sigs[k] == SIGTSTP) suspend();
                if (sigs[k] == SIGCONT) resume();
                if (sigs[k] == SIGWINCH && relaying()) {
                    copy_window_size();
                    signal_group(SIGWINCH);
                }
            }
        } else if (p[i].fd == master_) {
            if (p[i].revents & POLLOUT) flush_pending();
            if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) to_user(false);
        } else if (p[i].fd == term_) {
            from_user();
        }
    }
}

// Reads what was typed and hands it to the pty; the pty's INTR, QUIT and SUSP
// characters become what its line discipline would make of them if it had a session:
// signals to the workload's group.
void Foreground::from_user() {
    char buf[4096];
    ssize_t got = ::read(term_, buf, sizeof buf);
    if (got <= 0) {
        if (got == 0 || (errno != EINTR && errno != EAGAIN)) input_ = false; // hung up
        return;
    }
    struct termios t {};
    bool isig = ::tcgetattr(master_, &t) == 0 && (t.c_lflag & ISIG);
    for (ssize_t k = 0; k < got; ++k) {
        cc_t c = static_cast<cc_t>(buf[k]);
        int sig = !isig                       ? 0
                  : is_char(c, t.c_cc[VINTR]) ? SIGINT
                  : is_char(c, t.c_cc[VQUIT]) ? SIGQUIT
                  : is_char(c, t.c_cc[VSUSP]) ? SIGTSTP
                                              : 0;
        if (sig == 0) {
            pending_ += buf[k];
            continue;
        }
        flush_pending(); // what was typed before it goes first
        if (sig == SIGTSTP) {
            suspend();
        } else {
            signal_group(sig);
        }
    }
    flush_pending();
}

// As much of what was typed as the pty takes now; POLLOUT brings the rest.
void Foreground::flush_pending() {
    while (!pending_.empty()) {
        ssize_t w = ::write(master_, pending_.data(), pending_.size());
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        pending_.erase(0, static_cast<size_t>(w));
    }
}

// What the pty has for the user: one read, so that a workload that never stops writing
// cannot keep us from what is typed or signalled; with `drain`, everything it has.
void Foreground::to_user(bool drain) {
    char buf[65536];
    for (bool once = true; once || drain; once = false) {
        ssize_t got = ::read(master_, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got == 0 || (got < 0 && errno != EAGAIN)) hung_up_ = true; // EIO: no slave open
        if (got <= 0) return;
        write_all(out_, buf, static_cast<size_t>(got));
    }
}

} // namespace bvisor
