// launcher/supervise.h: the coordinator's side of the child's life: the signal state
// around clone3, signal forwarding, the user-namespace rendezvous, the exec proof, and
// reaping.
//
// Forwarding: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT and SIGWINCH
// reach the child from clone3 until it has ended, and never after: forwarding stops
// while the ended child is still a zombie (its pid cannot be reused), before it is
// reaped.
//
// SIGCONT, because the child leaves our process group (setsid) in its window: a stop
// sent to the group while it was still a member can take effect just after it left,
// and the group's SIGCONT would then never reach it. We are still in the group, so we
// are continued, and pass it on.
#pragma once

#include "codec/text.h"
#include "sys/sig.h"

#include <sys/types.h>

namespace bvisor::launcher {

struct SignalState {
    sys::SigSet saved_mask = 0;  // the mask the launcher was started with
    sys::SigSet non_default = 0; // signals whose disposition is not SIG_DFL
};

// Blocks every signal (so nothing is delivered between clone3 and the child's reset)
// and records the old mask and which signals have non-default dispositions.
long block_signals(SignalState* ret);

// Coordinator, after clone3: forward the signals above to `child`, then restore the
// saved mask, minus the forwarded signals (a host that blocked them must not stop the
// forwarding: the handler never ends the launcher).
long start_forwarding(pid_t child, const SignalState& state);

// The user-namespace rendezvous (PROTOCOL.md section 8): writes
// /proc/<pid>/uid_map = "0 <euid> 1", setgroups = "deny", gid_map = "0 <egid> 1", in
// that order. On failure returns -errno with what failed in `detail`.
long write_id_maps(pid_t child, codec::TextBuf& detail);

// How the child ended, as the classic wait status.
struct ChildEnd {
    int status = 0;
    bool exec_proven = true;        // false: it ended by SIGKILL or SIGSEGV before its exec
    bool proof_unavailable = false; // /proc/<pid>/comm could not be read
};

// Waits until `child` has ended, stops forwarding, and decides whether it had exec'd:
// only SIGKILL (and a SIGSEGV the kernel forces when an exec fails past its point of no
// return) can end the window without a record, so for those the zombie's comm is read:
// `window_comm` means it never reached exec. Does not reap. Returns 0 or -errno.
long await_end(pid_t child, const char* window_comm, ChildEnd* ret);

// Waits for `child` to end (retrying on EINTR) and reaps it; the classic wait status.
long reap(pid_t child, int* ret_status);

// --- What the workload leaves behind (a confining plan: docs/PROTOCOL.md section 11.2).
// The launcher is a child subreaper from before clone3, so every process the workload
// leaves running becomes our child when its own parent dies: none can slip away to
// init. Once the workload has ended, they are all ended too. The list of our children
// (/proc/<pid>/task/<pid>/children) is opened here, before the workload exists, so that
// nothing it does later (a lower RLIMIT_NOFILE, say) can keep us from reading it.
// Returns the list's fd (-1 without /proc: then only the group is ended), or -errno when
// the subreaper cannot be had.
long become_subreaper();

// SIGKILL to the workload's process group (it leads one after its setsid: a session
// leader's group cannot change). Called while the workload is still an unreaped zombie,
// so its pid, and with it that group's id, cannot belong to anyone else.
void kill_workload_group(pid_t workload);

struct Survivors {
    int ended = 0;         // processes reaped after the workload
    bool left = false;     // some could not be ended within the bound
    bool unlisted = false; // /proc/<pid>/task/<pid>/children could not be read
};

// Reaps every child that has ended; kills those still running (listed in `children`,
// become_subreaper's fd; a process killed hands its own children to us), and repeats
// until none is left: at once while there is something to kill (a process that keeps
// handing itself on to a new child is chased without a pause), for at most about half
// a second in all.
Survivors end_survivors(int children);

} // namespace bvisor::launcher
