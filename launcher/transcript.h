// launcher/transcript.h: the control-channel transcript (PROTOCOL.md section 9).
//
// One write per line, written as it happens. Before clone3 a failed write ends the
// launcher with exit 4 and no child (there is nobody to report to, and nothing has
// run). After clone3 a failed write is ignored: the launcher keeps supervising the
// workload and exits as if the line had been written; the exit code is authoritative.
//
// Plan-derived text reaches a line only through codec::TextBuf::append_plan_text
// (escaped, cut at 200 bytes), so a plan can never forge a line.
#pragma once

#include "codec/protocol.h"
#include "codec/text.h"

namespace bvisor::launcher {

constexpr size_t kLineMax = 1024;
using Line = codec::FixedText<kLineMax>;

class Transcript {
public:
    // The first line: LauncherStarted. False if it could not be written.
    bool start(int control_fd);
    void state(codec::LauncherState s);
    void note(const char* text);           // "# " + text
    void note(const codec::TextBuf& text); // "# " + text
    // From clone3 on, write failures no longer end the launcher.
    void child_exists() { child_exists_ = true; }

    [[noreturn]] void refuse(codec::RefusalReason reason, const codec::TextBuf& detail);
    // "SetupFaulted" then "# fault: launcher OS fault: <op>: <strerror> (os error <n>)".
    [[noreturn]] void os_fault(const char* op, long neg_errno);
    // "SetupFaulted" then "# fault: <text>".
    [[noreturn]] void fault(const char* text);

private:
    void write_line(const char* prefix, const char* text);

    int fd_ = -1;
    bool child_exists_ = false;
};

// The launcher's one transcript (a global with a trivial destructor: no atexit).
extern Transcript g_transcript;

// Appends "<strerror> (os error <n>)" for a negative errno.
void append_os_error(codec::TextBuf& out, long neg_errno);

} // namespace bvisor::launcher
