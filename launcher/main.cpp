// launcher/main.cpp: bvisor-linux-launcher (skeleton).
//
// Speaks the control-channel part of the process contract (PROTOCOL.md section 5):
// finds BVISOR_CONTROL_FD, writes LauncherStarted, then faults. The plan, checks and
// child come with the codec and launcher issues.
#include "sys/fd.h"
#include "sys/process.h"
#include "sys/sig.h"

namespace {

constexpr char kNoControl[] = "bvisor-linux-launcher: no usable control channel fd\n";

bool parse_fd(const char* text, int* ret_fd) {
    long value = 0;
    int digits = 0;
    const char* p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n') ++p;
    for (; *p >= '0' && *p <= '9'; ++p, ++digits) {
        value = value * 10 + (*p - '0');
        if (value > 2147483647L) return false;
    }
    while (*p == ' ' || *p == '\t' || *p == '\n') ++p;
    if (digits == 0 || *p != '\0') return false;
    *ret_fd = static_cast<int>(value);
    return true;
}

const char* find_env(char** envp, const char* name) {
    for (; *envp; ++envp) {
        const char* e = *envp;
        const char* n = name;
        while (*n && *e == *n) ++e, ++n;
        if (*n == '\0' && *e == '=') return e + 1;
    }
    return nullptr;
}

long write_all(int fd, const char* text, unsigned long len) {
    while (len > 0) {
        long r = bvisor::sys::sys_write(fd, text, len);
        if (r == -4) continue; // EINTR
        if (r <= 0) return r < 0 ? r : -5;
        text += r;
        len -= static_cast<unsigned long>(r);
    }
    return 0;
}

} // namespace

int main(int, char**, char** envp) {
    using namespace bvisor::sys;
    (void)sys_set_disposition(13, sig_ign()); // SIGPIPE: a closed host end is an error, not death
    const char* control_text = find_env(envp, "BVISOR_CONTROL_FD");
    int control = -1;
    static const char kStarted[] = "LauncherStarted\n";
    if (!control_text || !parse_fd(control_text, &control) ||
        write_all(control, kStarted, sizeof kStarted - 1) != 0) {
        (void)write_all(2, kNoControl, sizeof kNoControl - 1);
        return 4;
    }
    static const char kFault[] = "SetupFaulted\n# fault: launcher skeleton: plans are not implemented yet\n";
    (void)write_all(control, kFault, sizeof kFault - 1);
    return 4;
}
