// launcher/child.h: the child window, between clone3 and execveat.
//
// Everything the child needs is prepared by the coordinator before clone3 and handed
// over in a ChildPlan; the child only interprets it. In the child: no allocation, no
// locks, no libc calls (musl's cached thread state belongs to the parent), only raw
// syscalls from launcher/sys/. Without a user namespace the child shares the
// coordinator's memory (CLONE_VM) until its execveat, running beside it: it writes
// nothing but its own stack, and the coordinator never writes what it reads.
//
// Every way the window can end before exec is reported as one record on the
// launcher's own close-on-exec error pipe (child_report.h). Only SIGKILL cannot be
// caught: the coordinator tells that case apart afterwards by the child's comm (set to
// a random sentinel here, replaced by the kernel at exec; supervise.h's await_end).
//
// Not here: deciding anything. The coordinator decides what to apply (landlock.h,
// hardening.h) and reports it; the child applies it or fails.
#pragma once

#include "child_report.h"
#include "sys/seccomp.h"
#include "sys/sig.h"

#include <stdint.h>
#include <sys/types.h>

namespace bvisor::launcher {

constexpr int kMaxKeepFds = 10;
constexpr int kCommMax = 16; // TASK_COMM_LEN, with the NUL

struct ChildPlan {
    pid_t parent_pid = 0;                       // for the PDEATHSIG race check
    int error_write_fd = -1;                    // close-on-exec
    int sync_read_fd = -1;                      // userns: blocks here until the maps are written
    int sync_write_fd = -1;                     // userns: the parent's end, closed in the child
    int ruleset_fd = -1;                        // landlock, or -1
    int net_ruleset_fd = -1;                    // the network stage's TCP rules, or -1
    const struct sock_fprog* seccomp = nullptr; // the denylist, or nullptr
    sys::SigSet reset_to_default = 0;           // signals with a non-default disposition
    int keep[kMaxKeepFds] = {};                 // sorted, distinct: every fd scrub keeps
    int n_keep = 0;
    int exe_fd = -1;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    char comm[kCommMax] = {}; // the window's name: a sentinel no exec can produce

    // --- hardening (hardening.h decides; all off for an unconfined plan)
    bool new_session = false;
    bool join_keyring = false;
    bool drop_capabilities = false;
    bool drop_bounding = false; // needs CAP_SETPCAP: root, or uid 0 in a user namespace
    int last_cap = -1;          // the highest capability this kernel knows
    uint64_t keep_capabilities = 0;
    const struct sock_fprog* hardening_filter = nullptr; // or nullptr

    long test_pause_ms = 0;              // testhooks.h: always 0 outside the test build
    bool test_stop_after_setsid = false; // testhooks.h: always false outside it
};

// Called by the coordinator before clone3: the window's signal handler reports on
// plan.error_write_fd.
void arm_child(const ChildPlan& plan);

[[noreturn]] void run_child(const ChildPlan& plan);

} // namespace bvisor::launcher
