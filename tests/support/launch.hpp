// tests/support/launch.hpp: running the real launcher from tests, as root and as an
// unprivileged user.
//
// `Who` says which: as_root runs the launcher as the test's own (root) identity;
// unprivileged drops it to uid/gid 65534 with no groups (the setpriv equivalent, done
// in the spawner's forked child) and runs a copy of the launcher from a 0755
// directory, so nothing depends on the checkout being reachable by that user. A test
// that is not run as root has no "as root" variant: it is skipped with that reason.
#pragma once

#include "env.hpp"

#include "bvisor/spawn.hpp"

#include <functional>
#include <string>
#include <vector>

namespace bvisor::test {

struct Who {
    bool unprivileged;
    const char* name() const { return unprivileged ? "as uid 65534" : "as root"; }
};

// In a test: `Who who = BOTH_IDENTITIES;` runs the test once per identity.
#define BOTH_IDENTITIES GENERATE(::bvisor::test::Who{false}, ::bvisor::test::Who{true})

// Skips the test when the identity cannot be had (the "as root" variant when the
// tests do not run as root). Call first in a GENERATE'd test.
void require_identity(const Who& who);

struct LaunchOptions {
    Who who{false};
    bool testhooks = false; // use build/test/bvisor-linux-launcher-testhooks
    std::vector<std::string> extra_env;
    std::vector<Grant> extra_grants; // fds at numbers the plan does not declare
    std::optional<int> plan_fd;
    std::string stdin_data;
    std::string join_cgroup_procs;
    int (*pre_exec)(void*) = nullptr;
    void* pre_exec_arg = nullptr;
};

LaunchOptions as(const Who& who);

LaunchRequest make_request(PreparedLaunch prepared, LaunchOptions opts = {});
// Encodes, spawns, waits.
Observation launch(PreparedLaunch prepared, LaunchOptions opts = {});
// Spawns a raw frame (possibly invalid) with the given grants.
Observation launch_frame(const Bytes& frame, std::vector<Grant> grants, LaunchOptions opts = {});

// A PlanBuilder for `sh -c script` with the seed's PATH and layout.
PlanBuilder shell(const std::string& script);

// A PlanBuilder for build/bin/bvisor-test-probe ARGS (a copy uid 65534 can execute).
PlanBuilder probe(std::vector<std::string> args);
// That copy's path, and the directory it is in (a read root for a confined probe).
std::string probe_path();
std::string probe_dir();

// Waits for the "# mechanism=clone3 child_pid=" line and returns the pid (REQUIREs it).
long child_pid(Launch& l);
// /proc/<pid>/<name>, or "" when the process (or the file) is gone.
std::string proc_file(long pid, const std::string& name);
// Every pid running /bin/sleep TAG (its command line, NUL-separated): a marker
// process, found by a tag no other process has.
std::vector<long> sleeps_with(const std::string& tag);
// The launcher's child while it is in its window (its comm starts "bvisor/"), or 0.
long window_child(pid_t launcher);
// The state letter of /proc/<pid>/stat ('R', 'S', 'T', 'Z', ...), or 0 when it is gone.
char proc_state(long pid);
// Polls `done` every 5 ms for up to 30 s; true once it holds. Only for what must come
// to hold (every use is a positive wait): the bound costs nothing when it does, and a
// TCG guest on a loaded machine once took more than 5 s to start a launch.
bool eventually(const std::function<bool()>& done);

// Makes `path` (a test directory) owned by the identity, so it can write there.
void give_to(const Who& who, const std::string& path);

// Lines of a whole transcript, for messages.
std::string show(const Observation& o);

} // namespace bvisor::test
