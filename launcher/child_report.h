// launcher/child_report.h: how the child window says why it ended before exec.
//
// One record on the launcher's own close-on-exec error pipe, written by the child
// (child.cpp) and read by the coordinator (main.cpp's stages): a failed step {step,
// errno}, or a signal that arrived {kSignalRecord, signo} (every terminating signal is
// caught for the window; execveat resets caught signals to their defaults by itself).
// EOF without a record means the write end was closed by exec, or by SIGKILL, which
// supervise.h's await_end tells apart (it is tied to the forwarding it stops).
#pragma once

#include "codec/text.h"

#include <stdint.h>

namespace bvisor::launcher {

// The steps of the child window; the transcript says `step=<name>`. Numbers are stable
// (new steps are appended), so this is not the order run_child takes them in.
enum class ChildStep : uint32_t {
    UsernsSync = 1,
    Signals,
    Scrub,
    NoNewPrivs,
    Landlock,
    Seccomp,
    Exec,
    Session,         // setsid (hardening)
    Keyring,         // a fresh session keyring (hardening)
    Capabilities,    // drop capabilities (hardening)
    HardeningFilter, // the hardening seccomp program
    LandlockNetwork, // the network policy's TCP rules (network.h)
};
// The name of a step number, or nullptr if it is none.
const char* child_step_name(uint32_t step);

// A record whose `step` is this carries a signal number in `err`: the window was ended
// by that signal before exec.
constexpr uint32_t kSignalRecord = 0x100;

// The record the child writes: one write, well under PIPE_BUF, so it is atomic.
struct ChildReport {
    uint32_t step;
    int32_t err; // positive errno, or the signal for kSignalRecord
};

// The window's exit status when it fails (after its record, if it could write one).
constexpr int kExitChildFailed = 127;

// In the child: writes the record (one write, atomic) and exits 127.
[[noreturn]] void write_child_report(int fd, uint32_t step, int32_t value);

// In the coordinator: reads the pipe to EOF and closes it. Record: *ret holds one (a
// short record reads as {step 0, EIO}); None: EOF at once; otherwise the read failed
// with -errno in *ret_err.
enum class ReportRead { Record, None, Failed };
ReportRead read_child_report(int fd, ChildReport* ret, long* ret_err);

// The transcript's words for a record: `child errno=N step=NAME`, or `child ended by
// signal=N before exec`.
void describe_child_report(const ChildReport& r, codec::TextBuf& out);

} // namespace bvisor::launcher
