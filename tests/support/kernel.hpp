// tests/support/kernel.hpp: probes for the kernel features tests depend on (a test whose
// feature is missing skips instead of failing), and the cgroup2 mount.
#pragma once

#include <optional>
#include <string>

namespace bvisor::test {

// The live Landlock ABI (landlock_create_ruleset(NULL, 0, VERSION)), or 0.
long landlock_abi();
bool landlock_usable();           // ABI >= 1: the launcher accepts every ABI
bool landlock_scopes_available(); // ABI >= 6 (Linux 6.12): signal and abstract-unix scopes
// /proc/sys/kernel/seccomp/actions_avail readable and non-empty.
bool seccomp_available();
// Unprivileged user namespaces are not switched off by sysctl.
bool userns_available();
// Where cgroup2 is mounted, from /proc/self/mountinfo.
std::optional<std::string> cgroup2_mount();

} // namespace bvisor::test
