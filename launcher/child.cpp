// launcher/child.cpp: see child.h. Runs in the child process created by clone3: it
// shares nothing with the coordinator but its memory (read only, until exec) and
// copies of its fds and signal handlers.
#include "child.h"

#include "sys/errno.h"
#include "sys/fd.h"
#include "sys/landlock.h"
#include "sys/process.h"

#include <sys/prctl.h>

namespace bvisor::launcher {

namespace {

// Set by arm_child() before clone3; the child only reads it.
const ChildPlan* g_window = nullptr;

[[noreturn]] void fail(const ChildPlan& p, ChildStep step, long neg_errno) {
    write_child_report(p.error_write_fd, static_cast<uint32_t>(step),
                       static_cast<int32_t>(-neg_errno));
}

// The window's handler for every terminating signal: nothing may end the window
// without saying so. It never returns, so it needs no state beyond the error fd.
void window_signal(int sig) { write_child_report(g_window->error_write_fd, kSignalRecord, sig); }

// Signals whose default action is to terminate (or dump core) get window_signal; the
// others (ignore, stop, continue) keep or get their default. SIGKILL and SIGSTOP
// cannot be caught.
bool terminates(int sig) {
    switch (sig) {
    case 9:  // SIGKILL
    case 17: // SIGCHLD
    case 18: // SIGCONT
    case 19: // SIGSTOP
    case 20: // SIGTSTP
    case 21: // SIGTTIN
    case 22: // SIGTTOU
    case 23: // SIGURG
    case 28: // SIGWINCH
        return false;
    default:
        return true;
    }
}

long install_window_signals(const ChildPlan& p) {
    for (int sig = 1; sig <= sys::kSigMax; ++sig) {
        long r = 0;
        if (terminates(sig)) {
            r = sys::sys_set_handler(sig, window_signal);
        } else if (p.reset_to_default & (sys::SigSet{1} << (sig - 1))) {
            r = sys::sys_set_disposition(sig, sys::kSigDfl);
        }
        if (r < 0) return r;
    }
    return 0;
}

// Closes every fd except plan.keep (sorted): close_range over each gap (no /proc needed:
// PROTOCOL.md section 10).
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

// Every capability goes: the bounding set (when we may change it), ambient, then
// effective, permitted and inheritable, except the plan's keep_capabilities. A root
// workload then starts with exactly the kept ones (exec gives root its bounding set,
// and no_new_privs caps that by what it had before exec).
long drop_capabilities(const ChildPlan& p) {
    if (p.drop_bounding) {
        for (int cap = 0; cap <= p.last_cap; ++cap) {
            if (p.keep_capabilities & (uint64_t{1} << cap)) continue;
            long r = sys::sys_prctl(PR_CAPBSET_DROP, static_cast<unsigned long>(cap));
            if (r < 0) return r;
        }
    }
    long r = sys::sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL);
    if (r < 0) return r;
    sys::CapData data[2];
    r = sys::sys_capget(data);
    if (r < 0) return r;
    for (int i = 0; i < 2; ++i) {
        auto keep = static_cast<uint32_t>(p.keep_capabilities >> (32 * i));
        data[i].permitted &= keep;
        data[i].effective &= data[i].permitted;
        data[i].inheritable = 0;
    }
    return sys::sys_capset(data);
}

long wait_for_maps(const ChildPlan& p) {
    (void)sys::sys_close(p.sync_write_fd);
    char byte;
    return sys::retry_eintr([&] { return sys::sys_read(p.sync_read_fd, &byte, 1); });
}

} // namespace

void arm_child(const ChildPlan& plan) { g_window = &plan; }

void run_child(const ChildPlan& p) {
    // 1. Signals. Everything is blocked on entry (the coordinator blocked all before
    //    clone3). Catch every terminating signal so that none can end the window
    //    unreported, die with the coordinator, take the sentinel name, then unblock:
    //    the workload starts with an empty mask and default dispositions (PROTOCOL.md section 8).
    long r = install_window_signals(p);
    if (r < 0) fail(p, ChildStep::Signals, r);
    r = sys::sys_prctl(PR_SET_PDEATHSIG, sys::kSigKill);
    if (r < 0) fail(p, ChildStep::Signals, r);
    if (sys::sys_getppid() != p.parent_pid)
        sys::sys_exit_group(kExitChildFailed); // it already died: nobody to report to
    r = sys::sys_prctl(PR_SET_NAME, reinterpret_cast<unsigned long>(p.comm));
    if (r < 0) fail(p, ChildStep::Signals, r);
    sys::SigSet none = 0;
    r = sys::sys_rt_sigprocmask(sys::kSigSetmask, &none, nullptr);
    if (r < 0) fail(p, ChildStep::Signals, r);
    if (p.test_pause_ms > 0) (void)sys::sys_sleep_ms(p.test_pause_ms);

    // 2. User namespace: wait until the coordinator has written our uid/gid maps. EOF
    //    means it could not: exit quietly, it reports the failure.
    if (p.sync_read_fd >= 0) {
        long n = wait_for_maps(p);
        if (n == 0) sys::sys_exit_group(kExitChildFailed);
        if (n < 0) fail(p, ChildStep::UsernsSync, n);
    }

    // 3. Hardening, first part: leave the caller's session, so the workload has no
    //    controlling terminal to inject input into and is out of the caller's process
    //    group; then a fresh, empty session keyring instead of the caller's.
    if (p.new_session) {
        r = sys::sys_setsid();
        if (r < 0) fail(p, ChildStep::Session, r);
        if (p.test_stop_after_setsid)
            (void)sys::sys_kill(static_cast<pid_t>(sys::sys_getpid()), sys::kSigStop);
    }
    if (p.join_keyring) {
        r = sys::sys_keyctl(sys::kKeyctlJoinSessionKeyring, 0);
        if (r < 0) fail(p, ChildStep::Keyring, r);
    }

    // 4. Scrub: nothing undeclared survives into the workload. Landlock does not
    //    touch fds that are already open, so this must come before it.
    r = scrub(p);
    if (r < 0) fail(p, ChildStep::Scrub, r);

    // 5. Landlock: the ruleset was built by the coordinator from the root fds.
    if (p.ruleset_fd >= 0) {
        r = sys::sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
        if (r < 0) fail(p, ChildStep::NoNewPrivs, r);
        r = sys::sys_landlock_restrict_self(p.ruleset_fd);
        if (r < 0) fail(p, ChildStep::Landlock, r);
    }
    // 5b. The network policy's TCP port rules: a second Landlock layer (network.h).
    if (p.net_ruleset_fd >= 0) {
        r = sys::sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
        if (r < 0) fail(p, ChildStep::NoNewPrivs, r);
        r = sys::sys_landlock_restrict_self(p.net_ruleset_fd);
        if (r < 0) fail(p, ChildStep::LandlockNetwork, r);
    }

    // 6. Hardening, second part: capabilities. After Landlock (restrict_self needs no
    //    capability once no_new_privs is set) and before seccomp.
    if (p.drop_capabilities) {
        r = sys::sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
        if (r < 0) fail(p, ChildStep::NoNewPrivs, r);
        r = drop_capabilities(p);
        if (r < 0) fail(p, ChildStep::Capabilities, r);
    }

    // 7. Seccomp, last before exec: after it, only the workload's own calls remain. The
    //    denylist is upstream's program unchanged; the hardening filter is a second one.
    if (p.seccomp) {
        r = sys::sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
        if (r < 0) fail(p, ChildStep::NoNewPrivs, r);
        r = sys::sys_seccomp_set_filter(p.seccomp);
        if (r < 0) fail(p, ChildStep::Seccomp, r);
    }
    if (p.hardening_filter) {
        r = sys::sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
        if (r < 0) fail(p, ChildStep::NoNewPrivs, r);
        r = sys::sys_seccomp_set_filter(p.hardening_filter);
        if (r < 0) fail(p, ChildStep::HardeningFilter, r);
    }

    // 8. Exec the verified fd; paths are never looked up again.
    r = sys::sys_execveat(p.exe_fd, "", p.argv, p.envp, AT_EMPTY_PATH);
    fail(p, ChildStep::Exec, r);
}

} // namespace bvisor::launcher
