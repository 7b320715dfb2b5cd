// launcher/child.h: the child window, between clone3 and execveat.
//
// Everything the child needs is prepared by the coordinator before clone3 and handed
// over in a ChildPlan; the child only interprets it. In the child: no allocation, no
// locks, no libc calls (musl's cached thread state belongs to the parent), only raw
// syscalls from launcher/sys/. Without a user namespace the child shares the
// coordinator's memory (CLONE_VM | CLONE_VFORK) until its execveat: it writes nothing
// but its own stack. Any failure is reported as one {step, errno} record on
// the launcher's own close-on-exec error pipe, then _exit(127). EOF on that pipe
// without a record means execveat succeeded.
#pragma once

#include "sys/seccomp.h"
#include "sys/sig.h"

#include <stdint.h>
#include <sys/types.h>

namespace bvisor::launcher {

// The steps of the child window, in order; the transcript says `step=<name>`.
enum class ChildStep : uint32_t {
    UsernsSync = 1,
    Signals,
    Scrub,
    NoNewPrivs,
    Landlock,
    Seccomp,
    Exec,
};
// The name of a step number, or nullptr if it is none.
const char* child_step_name(uint32_t step);

// The record the child writes: one write, well under PIPE_BUF, so it is atomic.
struct ChildReport {
    uint32_t step;
    int32_t err; // positive errno
};

constexpr int kMaxKeepFds = 8;

struct ChildPlan {
    pid_t parent_pid = 0;                       // for the PDEATHSIG race check
    int error_write_fd = -1;                    // close-on-exec
    int sync_read_fd = -1;                      // userns: blocks here until the maps are written
    int sync_write_fd = -1;                     // userns: the parent's end, closed in the child
    int ruleset_fd = -1;                        // landlock, or -1
    const struct sock_fprog* seccomp = nullptr; // or nullptr
    sys::SigSet reset_to_default = 0;           // signals with a non-default disposition
    int keep[kMaxKeepFds] = {};                 // sorted, distinct: every fd scrub keeps
    int n_keep = 0;
    int exe_fd = -1;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
};

[[noreturn]] void run_child(const ChildPlan& plan);

} // namespace bvisor::launcher
