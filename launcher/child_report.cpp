// launcher/child_report.cpp: see child_report.h.
#include "child_report.h"

#include "sys/errno.h"
#include "sys/fd.h"
#include "sys/process.h"

namespace bvisor::launcher {

const char* child_step_name(uint32_t step) {
    switch (static_cast<ChildStep>(step)) {
    case ChildStep::UsernsSync:
        return "userns_sync";
    case ChildStep::Signals:
        return "signals";
    case ChildStep::Scrub:
        return "scrub";
    case ChildStep::NoNewPrivs:
        return "no_new_privs";
    case ChildStep::Landlock:
        return "landlock";
    case ChildStep::Seccomp:
        return "seccomp";
    case ChildStep::Exec:
        return "exec";
    case ChildStep::Session:
        return "session";
    case ChildStep::Keyring:
        return "keyring";
    case ChildStep::Capabilities:
        return "capabilities";
    case ChildStep::HardeningFilter:
        return "hardening_filter";
    case ChildStep::LandlockNetwork:
        return "landlock_network";
    }
    return nullptr;
}

void write_child_report(int fd, uint32_t step, int32_t value) {
    ChildReport r{step, value};
    (void)sys::sys_write(fd, &r, sizeof r);
    sys::sys_exit_group(kExitChildFailed);
}

ReportRead read_child_report(int fd, ChildReport* ret, long* ret_err) {
    size_t got = 0;
    while (got < sizeof *ret) {
        long n = sys::sys_read(fd, reinterpret_cast<char*>(ret) + got, sizeof *ret - got);
        if (n == sys::kEintr) continue;
        if (n < 0) {
            *ret_err = n;
            return ReportRead::Failed;
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    (void)sys::sys_close(fd);
    if (got == 0) return ReportRead::None;
    if (got != sizeof *ret) *ret = ChildReport{0, -static_cast<int32_t>(sys::kEio)}; // step unknown
    return ReportRead::Record;
}

void describe_child_report(const ChildReport& r, codec::TextBuf& out) {
    if (r.step == kSignalRecord) {
        out.append("child ended by signal=").append_i64(r.err).append(" before exec");
        return;
    }
    const char* step = child_step_name(r.step);
    out.append("child errno=").append_i64(r.err);
    out.append(" step=").append(step ? step : "unknown");
}

} // namespace bvisor::launcher
