// launcher/transcript.cpp: see transcript.h.
#include "transcript.h"

#include "sys/errno.h"
#include "sys/fd.h"
#include "sys/process.h"

#include <string.h>

namespace bvisor::launcher {

Transcript g_transcript;

namespace {

constexpr int kExitFault = 4;
constexpr int kExitRefused = 3;

// Writes all of `len` bytes; false on any error (or a zero-length write).
bool write_all(int fd, const char* p, size_t len) {
    while (len > 0) {
        long n = sys::sys_write(fd, p, len);
        if (n == sys::kEintr) continue;
        if (n <= 0) return false;
        p += n;
        len -= static_cast<size_t>(n);
    }
    return true;
}

} // namespace

void append_os_error(codec::TextBuf& out, long neg_errno) {
    int e = static_cast<int>(-neg_errno);
    out.append(strerror(e)).append(" (os error ").append_i64(e).append(")");
}

void Transcript::write_line(const char* prefix, const char* text) {
    char buf[kLineMax + 8];
    codec::TextBuf line(buf, sizeof buf);
    line.append(prefix).append(text);
    // A line is never split, however long: cut it and still end it with its newline.
    size_t len = line.size();
    if (len > kLineMax) len = kLineMax;
    buf[len++] = '\n';
    if (!write_all(fd_, buf, len) && !child_exists_) sys::sys_exit_group(kExitFault);
}

bool Transcript::start(int control_fd) {
    fd_ = control_fd;
    static const char kStarted[] = "LauncherStarted\n";
    return write_all(fd_, kStarted, sizeof kStarted - 1);
}

void Transcript::state(codec::LauncherState s) { write_line("", codec::state_name(s)); }

void Transcript::note(const char* text) { write_line("# ", text); }

void Transcript::note(const codec::TextBuf& text) { write_line("# ", text.c_str()); }

void Transcript::refuse(codec::RefusalReason reason, const codec::TextBuf& detail) {
    write_line("# detail=", detail.c_str());
    write_line("# refusal=", codec::refusal_name(reason));
    state(codec::LauncherState::SetupRefused);
    sys::sys_exit_group(kExitRefused);
}

void Transcript::os_fault(const char* op, long neg_errno) {
    Line text;
    text.append("launcher OS fault: ").append(op).append(": ");
    append_os_error(text, neg_errno);
    state(codec::LauncherState::SetupFaulted);
    write_line("# fault: ", text.c_str());
    sys::sys_exit_group(kExitFault);
}

void Transcript::fault(const char* text) {
    state(codec::LauncherState::SetupFaulted);
    write_line("# fault: ", text);
    sys::sys_exit_group(kExitFault);
}

} // namespace bvisor::launcher
