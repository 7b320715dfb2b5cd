// launcher/supervise.cpp: see supervise.h.
#include "supervise.h"

#include "sys/errno.h"
#include "sys/fd.h"
#include "sys/process.h"
#include "transcript.h"

namespace bvisor::launcher {

namespace {

using sys::kSigKill;
using sys::kSigSegv;
constexpr int kPrSetChildSubreaper = 36; // PR_SET_CHILD_SUBREAPER
constexpr int kSurvivorRounds = 100000;  // the chase's bound: rounds in all,
constexpr int kSurvivorPauses = 500;     // and 1 ms pauses when nothing was named
constexpr int kForwarded[] = {1 /*SIGHUP*/,   2 /*SIGINT*/,   3 /*SIGQUIT*/,  10 /*SIGUSR1*/,
                              12 /*SIGUSR2*/, 15 /*SIGTERM*/, 18 /*SIGCONT*/, 28 /*SIGWINCH*/};

// Written with the handlers' signals blocked or before they are installed; read in
// the handler. 0: nobody to forward to.
volatile pid_t g_forward_to = 0;

void forward_signal(int sig) {
    pid_t pid = g_forward_to;
    if (pid > 0) (void)sys::sys_kill(pid, sig);
}

long write_file(const char* path, const char* text, size_t len) {
    long fd = sys::sys_openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    long n = sys::sys_write(static_cast<int>(fd), text, len);
    (void)sys::sys_close(static_cast<int>(fd));
    if (n < 0) return n;
    return n == static_cast<long>(len) ? 0 : sys::kEio; // the kernel took part of a map
}

void proc_path(codec::TextBuf& p, pid_t child, const char* file) {
    p.append("/proc/").append_u64(static_cast<uint64_t>(child)).append("/").append(file);
}

long write_proc(pid_t child, const char* file, const char* text, size_t len,
                codec::TextBuf& detail) {
    char path[64];
    codec::TextBuf p(path, sizeof path);
    proc_path(p, child, file);
    long r = write_file(path, text, len);
    if (r < 0) {
        detail.append(path).append(": ");
        append_os_error(detail, r);
    }
    return r;
}

// 1: the comm is `want`; 0: it is not; -errno: it could not be read.
long comm_is(pid_t child, const char* want) {
    char path[64];
    codec::TextBuf p(path, sizeof path);
    proc_path(p, child, "comm");
    long fd = sys::sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    char buf[32];
    long n = sys::sys_read(static_cast<int>(fd), buf, sizeof buf);
    (void)sys::sys_close(static_cast<int>(fd));
    if (n < 0) return n;
    size_t len = static_cast<size_t>(n);
    if (len > 0 && buf[len - 1] == '\n') --len;
    size_t want_len = codec::cstr_len(want);
    return len == want_len && __builtin_memcmp(buf, want, len) == 0 ? 1 : 0;
}

} // namespace

long block_signals(SignalState* ret) {
    sys::SigSet all = ~sys::SigSet{0};
    long r = sys::sys_rt_sigprocmask(sys::kSigBlock, &all, &ret->saved_mask);
    if (r < 0) return r;
    ret->non_default = 0;
    for (int sig = 1; sig <= sys::kSigMax; ++sig) {
        sys::KernelSigaction old{};
        if (sys::sys_rt_sigaction(sig, nullptr, &old) < 0) continue; // not a valid signal here
        if (old.handler != sys::kSigDfl) ret->non_default |= sys::SigSet{1} << (sig - 1);
    }
    return 0;
}

long start_forwarding(pid_t child, const SignalState& state) {
    g_forward_to = child;
    sys::SigSet mask = state.saved_mask;
    for (int sig : kForwarded) {
        long r = sys::sys_set_handler(sig, forward_signal);
        if (r < 0) return r;
        mask &= ~(sys::SigSet{1} << (sig - 1));
    }
    return sys::sys_rt_sigprocmask(sys::kSigSetmask, &mask, nullptr);
}

long write_id_maps(pid_t child, codec::TextBuf& detail) {
    char map[48];
    codec::TextBuf uid(map, sizeof map);
    uid.append("0 ").append_u64(static_cast<uint64_t>(sys::sys_geteuid())).append(" 1\n");
    long r = write_proc(child, "uid_map", uid.c_str(), uid.size(), detail);
    if (r < 0) return r;
    // setgroups must be denied before an unprivileged process may write gid_map.
    r = write_proc(child, "setgroups", "deny", 4, detail);
    if (r < 0) return r;
    char gmap[48];
    codec::TextBuf gid(gmap, sizeof gmap);
    gid.append("0 ").append_u64(static_cast<uint64_t>(sys::sys_getegid())).append(" 1\n");
    return write_proc(child, "gid_map", gid.c_str(), gid.size(), detail);
}

long await_end(pid_t child, const char* window_comm, ChildEnd* ret) {
    sys::ChildSiginfo info{};
    long r = sys::retry_eintr(
        [&] { return sys::sys_waitid(child, &info, sys::kWExited | sys::kWNoWait); });
    // A zombie's pid stays ours until it is reaped: stop forwarding before that.
    g_forward_to = 0;
    if (r < 0) return r;
    *ret = ChildEnd{};
    if (info.code == sys::kCldExited) {
        ret->status = (info.status & 0xff) << 8;
        return 0;
    }
    ret->status = (info.status & 0x7f) | (info.code == sys::kCldDumped ? 0x80 : 0);
    if (info.status == kSigKill || info.status == kSigSegv) {
        // Every other terminating signal is caught in the window and reported there.
        long same = comm_is(child, window_comm);
        ret->proof_unavailable = same < 0;
        ret->exec_proven = same == 0;
    }
    return 0;
}

long become_subreaper() {
    long r = sys::sys_prctl(kPrSetChildSubreaper, 1);
    if (r < 0) return r;
    char path[64];
    codec::TextBuf p(path, sizeof path);
    long self = sys::sys_getpid();
    p.append("/proc/").append_u64(static_cast<uint64_t>(self)).append("/task/");
    p.append_u64(static_cast<uint64_t>(self)).append("/children");
    long fd = sys::sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (fd < 3) { // never in a stdio slot the workload keeps (we may have started without)
        long high = sys::sys_fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 3);
        (void)sys::sys_close(static_cast<int>(fd));
        fd = high < 0 ? -1 : high;
    }
    return fd;
}

void kill_workload_group(pid_t workload) { (void)sys::sys_kill(-workload, kSigKill); }

namespace {

// SIGKILL to every pid the children list names now; how many it named.
int kill_listed(int children) {
    char buf[512];
    long n, at = 0, pid = 0;
    int named = 0;
    while ((n = sys::sys_pread(children, buf, sizeof buf, at)) > 0) {
        at += n;
        for (long i = 0; i < n; ++i) {
            if (buf[i] >= '0' && buf[i] <= '9') {
                pid = pid * 10 + (buf[i] - '0');
            } else if (pid > 0) {
                (void)sys::sys_kill(static_cast<pid_t>(pid), kSigKill);
                ++named;
                pid = 0;
            }
        }
    }
    if (pid > 0) {
        (void)sys::sys_kill(static_cast<pid_t>(pid), kSigKill);
        ++named;
    }
    return named;
}

} // namespace

Survivors end_survivors(int children) {
    Survivors s;
    int pauses = 0;
    for (int round = 0; round < kSurvivorRounds; ++round) {
        sys::ChildSiginfo info;
        for (;;) { // reap what has ended
            info = sys::ChildSiginfo{};
            if (sys::sys_waitid_any(&info, sys::kWExited | sys::kWNoHang) < 0 || info.pid == 0)
                break;
            ++s.ended;
        }
        info = sys::ChildSiginfo{};
        if (sys::sys_waitid_any(&info, sys::kWExited | sys::kWNoHang | sys::kWNoWait) ==
            sys::kEchild)
            return s; // nobody left
        // Still running: our children, so their pids stay ours until we reap them.
        int named = children >= 0 ? kill_listed(children) : 0;
        if (children < 0) s.unlisted = true;
        if (named > 0) {
            (void)sys::sys_sched_yield(); // let them die, and chase what they handed on
        } else {
            if (++pauses > kSurvivorPauses) break;
            (void)sys::sys_sleep_ms(1); // killed, not dead yet: give them a moment
        }
    }
    s.left = true;
    return s;
}

long reap(pid_t child, int* ret_status) {
    long r = sys::retry_eintr([&] { return sys::sys_wait4(child, ret_status, 0); });
    return r < 0 ? r : 0;
}

} // namespace bvisor::launcher
