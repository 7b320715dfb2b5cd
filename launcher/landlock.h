// launcher/landlock.h: the Landlock stage (checks 10 and 11; docs/PROTOCOL.md sections
// 7, 8 and 11), run in the coordinator before clone3.
//
// What it decides, from the live ABI:
//   * the handled filesystem rights are exactly those the kernel knows, up to ABI 3
//     (0x1FFF on ABI 1, 0x3FFF on ABI 2, 0x7FFF from ABI 3): no network rights, no
//     IOCTL_DEV (upstream parity); every rule is masked to them;
//   * below ABI 3 the kernel checks no truncation (truncate(2), and open with O_TRUNC
//     asks only for READ_FILE when not opened for writing): the hardening filter denies both
//     (truncate=seccomp); below ABI 2 it denies every cross-directory rename and link
//     (refer=denied), which is stricter, never wider;
//   * from ABI 6 the domain is scoped: no signals and no abstract unix sockets across its
//     boundary, unless the plan relaxes them (allow_signals, allow_abstract_unix).
// Read roots may execute, read files and list directories; write roots get every
// handled right. A single-file root (Regular or CharDevice) gets the file rights only.
// Rules are PATH_BENEATH on the inherited fds: paths are never reopened.
//
// Not here: applying it (the child calls landlock_restrict_self).
#pragma once

#include "codec/checks.h"
#include "codec/plan.h"

#include <stdint.h>

namespace bvisor::launcher {

// What Landlock can do on one ABI (caps_for_abi).
struct LandlockCaps {
    uint64_t handled = 0;             // the filesystem rights it checks
    bool truncate_by_seccomp = false; // below ABI 3: the hardening filter closes truncation
    bool refer = true;                // ABI 2 on: cross-directory renames and links
    bool scopes = true;               // ABI 6 on: signal and abstract unix scopes
};
LandlockCaps caps_for_abi(long abi);

// What this launch's Landlock stage decided. All false/0 when no landlock entry is
// scheduled (the stage does not run).
struct LandlockSetup {
    long abi = 0;
    unsigned long errata = 0;
    uint64_t handled = 0;
    uint64_t scoped = 0;
    bool truncate_by_seccomp = false;
    bool scopes_missing = false; // the plan wants scopes this ABI does not have
    int ruleset_fd = -1;
};

// Checks 10 and 11 and the `# landlock` notes. Refuses (exit 3) through the transcript
// when Landlock is missing, older than the plan's landlock_min_abi, or rejects the
// ruleset; HandleMismatch when a rule's fd is rejected. Scopes the ABI lacks are noted
// and left to the hardening stage, which refuses them for a plan that requires them.
LandlockSetup prepare_landlock(const codec::Plan& plan);

} // namespace bvisor::launcher
