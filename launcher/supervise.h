// launcher/supervise.h: the coordinator's side of the child's life: the signal state
// around clone3, signal forwarding, the user-namespace rendezvous, and reaping.
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

// Coordinator, after clone3: forward SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
// SIGUSR2 to `child`, then restore the saved mask.
long start_forwarding(pid_t child, const SignalState& state);

// The user-namespace rendezvous (PROTOCOL.md section 7 step 8): writes
// /proc/<pid>/uid_map = "0 <euid> 1", setgroups = "deny", gid_map = "0 <egid> 1", in
// that order. On failure returns -errno with what failed in `detail`.
long write_id_maps(pid_t child, codec::TextBuf& detail);

// Waits for `child` to end (retrying on EINTR); the classic wait status.
long reap(pid_t child, int* ret_status);

} // namespace bvisor::launcher
