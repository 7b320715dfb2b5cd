// launcher/landlock.h: the Landlock ruleset, built in the coordinator before clone3
// from the plan's root slots (PROTOCOL.md section 7 step 4; checks 10 and 11).
//
// handled_access_fs is the ABI-3 filesystem rights (0x7FFF): no network rights, no
// IOCTL_DEV, no scopes (upstream parity). ReadRoot slots get EXECUTE|READ_FILE|
// READ_DIR; WriteRoot slots get all of 0x7FFF. Rules are PATH_BENEATH on the inherited
// fds: paths are never reopened. The child only calls restrict_self.
#pragma once

#include "codec/plan.h"
#include "codec/protocol.h"
#include "codec/text.h"

namespace bvisor::launcher {

constexpr long kLandlockAbiFloor = 3; // TRUNCATE, Linux 6.2

struct LandlockProbe {
    long abi; // the live ABI, or -errno when Landlock is unavailable
    unsigned long errata;
};
LandlockProbe probe_landlock();

// Check 11: creates the ruleset and adds one rule per root slot. On failure returns
// fd -1 with what failed in `detail`.
int build_ruleset(codec::Span<codec::Slot> slots, codec::TextBuf& detail);

} // namespace bvisor::launcher
