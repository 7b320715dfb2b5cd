// launcher/seccomp.h: the upstream seccomp denylist (linux.seccomp.v1; docs/PROTOCOL.md
// sections 7 and 8), compiled in the coordinator before clone3 from the plan's
// target.seccomp request. The program itself is codec/seccomp_bpf.h's, so tests can
// run it in a BPF interpreter; the child only installs it (child.cpp).
//
// Not here: the hardening filter, which is hardening's (hardening.h).
#pragma once

#include "child.h"

#include "codec/checks.h"
#include "codec/plan.h"

namespace bvisor::launcher {

// Compiles the denylist into static storage and points child.seccomp at it, when the
// plan schedules a seccomp entry; otherwise leaves child.seccomp null.
void prepare_seccomp(const codec::Plan& plan, const codec::Schedule& schedule, ChildPlan& child);

} // namespace bvisor::launcher
