// launcher/child.cpp: see child.h. Runs in the child process created by clone3: it
// shares nothing with the coordinator but copies of its memory and fds.
#include "child.h"

#include "sys/fd.h"
#include "sys/landlock.h"
#include "sys/process.h"

#include <sys/prctl.h>

namespace bvisor::launcher {

namespace {

constexpr int kExitChildFailed = 127;
constexpr int kSigKill = 9;

[[noreturn]] void fail(const ChildPlan& p, ChildStep step, long neg_errno) {
    ChildReport r{static_cast<uint32_t>(step), static_cast<int32_t>(-neg_errno)};
    (void)sys::sys_write(p.error_write_fd, &r, sizeof r);
    sys::sys_exit_group(kExitChildFailed);
}

// Closes every fd except plan.keep (sorted): close_range over each gap (D4: no /proc).
long scrub(const ChildPlan& p) {
    unsigned next = 0;
    for (int i = 0; i < p.n_keep; ++i) {
        unsigned k = static_cast<unsigned>(p.keep[i]);
        if (k > next) {
            long r = sys::sys_close_range(next, k - 1, 0);
            if (r < 0) return r;
        }
        next = k + 1;
    }
    return sys::sys_close_range(next, ~0U, 0);
}

} // namespace

const char* child_step_name(uint32_t step) {
    switch (static_cast<ChildStep>(step)) {
    case ChildStep::UsernsSync:
        return "userns_sync";
    case ChildStep::Signals:
        return "signals";
    case ChildStep::Scrub:
        return "scrub";
    case ChildStep::NoNewPrivs:
        return "no_new_privs";
    case ChildStep::Landlock:
        return "landlock";
    case ChildStep::Seccomp:
        return "seccomp";
    case ChildStep::Exec:
        return "exec";
    }
    return nullptr;
}

void run_child(const ChildPlan& p) {
    // 1. User namespace: wait until the coordinator has written our uid/gid maps. EOF
    //    means it could not: exit quietly, it reports the failure.
    if (p.sync_read_fd >= 0) {
        (void)sys::sys_close(p.sync_write_fd);
        char byte;
        long n;
        do {
            n = sys::sys_read(p.sync_read_fd, &byte, 1);
        } while (n == -4); // EINTR
        if (n == 0) sys::sys_exit_group(kExitChildFailed);
        if (n < 0) fail(p, ChildStep::UsernsSync, n);
    }

    // 2. Signals: die with the coordinator; then the workload starts with default
    //    dispositions and an empty mask (D8). Everything is still blocked here.
    long r = sys::sys_prctl(PR_SET_PDEATHSIG, kSigKill);
    if (r < 0) fail(p, ChildStep::Signals, r);
    if (sys::sys_getppid() != p.parent_pid)
        sys::sys_exit_group(kExitChildFailed); // it already died
    for (int sig = 1; sig <= sys::kSigMax; ++sig) {
        if (!(p.reset_to_default & (sys::SigSet{1} << (sig - 1)))) continue;
        r = sys::sys_set_disposition(sig, sys::kSigDfl);
        if (r < 0) fail(p, ChildStep::Signals, r);
    }
    sys::SigSet none = 0;
    r = sys::sys_rt_sigprocmask(sys::kSigSetmask, &none, nullptr);
    if (r < 0) fail(p, ChildStep::Signals, r);

    // 3. Scrub: nothing undeclared survives into the workload. Landlock does not
    //    touch fds that are already open, so this must come before it.
    r = scrub(p);
    if (r < 0) fail(p, ChildStep::Scrub, r);

    // 4. Landlock: the ruleset was built by the coordinator from the root fds.
    if (p.ruleset_fd >= 0) {
        r = sys::sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
        if (r < 0) fail(p, ChildStep::NoNewPrivs, r);
        r = sys::sys_landlock_restrict_self(p.ruleset_fd);
        if (r < 0) fail(p, ChildStep::Landlock, r);
    }

    // 5. Seccomp, last before exec: after it, only the workload's own calls remain.
    if (p.seccomp) {
        r = sys::sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
        if (r < 0) fail(p, ChildStep::NoNewPrivs, r);
        r = sys::sys_seccomp_set_filter(p.seccomp);
        if (r < 0) fail(p, ChildStep::Seccomp, r);
    }

    // 6. Exec the verified fd; paths are never looked up again.
    r = sys::sys_execveat(p.exe_fd, "", p.argv, p.envp, AT_EMPTY_PATH);
    fail(p, ChildStep::Exec, r);
}

} // namespace bvisor::launcher
