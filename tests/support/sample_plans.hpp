// tests/support/sample_plans.hpp: plans the unit tests start from.
#pragma once

#include "bvisor/plan.hpp"

namespace bvisor::test {

// Every field and option in use: scrub + landlock + seccomp + exec; exe 10, read root
// 15, write root 16, cgroup 17, stdout 1; argv, envp, userns, netns, seccomp. Valid
// for checks 3..8 (h_l bound).
LaunchBody full_body();

// The upstream happy path: scrub + exec, exe slot 10, argv ["true"].
LaunchBody happy_body();

// full_body() plus every extension of docs/PROTOCOL.md section 11: the hardening entry,
// a single-file read root (Regular, 18) and write root (CharDevice, 19), and every
// extension field of the target.
LaunchBody extended_body();

// Decodes `body` with the codec and returns its status (ok or the first error).
codec::Status decode_status(const std::vector<uint8_t>& body);

} // namespace bvisor::test
