// launcher/hardening.h: the hardening defaults (docs/PROTOCOL.md section 11.2), decided
// in the coordinator before clone3 and applied by the child (child.h).
//
// For every plan that confines (a landlock, seccomp or hardening entry) the workload
// gets: a new session (no controlling terminal, out of the caller's process group); a
// fresh session keyring; no capabilities (effective, permitted, inheritable, ambient,
// and the bounding set where the launcher may change it), except the plan's
// keep_capabilities; and, on x86-64, a second seccomp program (codec/seccomp_bpf.h)
// that closes the terminal ioctls, keyrings, io_uring, openat2 and access-mode-3 opens,
// and below Landlock ABI 3 truncation by path. The Landlock scopes are landlock.h's.
// An unconfined plan keeps upstream's behaviour.
//
// What the kernel cannot do is reported, never assumed: keyrings (ENOSYS, or refused by
// a filter the workload inherits too), seccomp filters. A plan with the hardening entry
// requires all of it, and the Landlock scopes (which landlock.h reports missing below
// ABI 6), and is refused MissingPrimitive instead.
//
// Not here: the Landlock ruleset (landlock.h), the denylist (codec/seccomp_bpf.h).
#pragma once

#include "child.h"
#include "landlock.h"
#include "network.h"

#include "codec/checks.h"
#include "codec/plan.h"
#include "codec/seccomp_bpf.h"

namespace bvisor::launcher {

struct HardeningSetup {
    bool active = false;
    long keyring_probe = 0; // >= 0: keyrings usable; else -errno why not
    bool keyring = false;
    bool bounding = false; // the bounding set can be emptied
    int last_cap = -1;
    bool filter_available = false;
    codec::HardeningFilter filter;
};

// Decides (and probes) the hardening for `plan`, compiles the hardening filter into
// static storage, and fills the hardening fields of `child`. Refuses MissingPrimitive
// for a plan with the hardening entry when something is missing.
// The network stage's socket rules go into the same filter.
HardeningSetup prepare_hardening(const codec::Plan& plan, const codec::Schedule& schedule,
                                 const LandlockSetup& landlock, const NetworkSetup& network,
                                 ChildPlan& child);

// `# hardening ...`: what the child applied. Written once the exec is proven.
void hardening_note(const HardeningSetup& h, uint64_t keep_capabilities);

} // namespace bvisor::launcher
