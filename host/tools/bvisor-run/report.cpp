// bvisor-run: what a run tells its user once it is over. The exit status and the one
// line that says why it failed, the --json-status object, --explain's list of grants,
// and a warning when processes the workload started outlived it. Everything here reads
// the launcher's transcript as the host library parsed it (bvisor/transcript.hpp).
#include "report.h"

#include "codec/plan.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace bvisor::run {
namespace {

std::string kernel_release() {
    utsname u{};
    return ::uname(&u) == 0 ? u.release : "unknown";
}

// What the user should know when Landlock is missing or too old.
std::string landlock_hint(const std::string& detail) {
    if (detail.find("Landlock") == std::string::npos) return "";
    return "; this kernel is " + kernel_release() +
           " (Landlock needs Linux 5.13 or newer with Landlock enabled; ABI 3 is Linux 6.2, "
           "ABI 6 is Linux 6.12)";
}

// `# prefix k=v k=v` notes as one JSON object (null when there is none).
nlohmann::ordered_json fields_json(const Observation& obs, std::string_view prefix) {
    auto fields = obs.note_fields(prefix);
    if (fields.empty()) return nullptr;
    nlohmann::ordered_json o;
    for (const auto& [k, v] : fields)
        o[k] = v;
    return o;
}

} // namespace

// The status file, opened before anything runs: never through a symlink, never a fifo
// (O_NONBLOCK: opening one cannot block, and its type is refused), created if missing.
// Written through this fd only, so nothing the workload puts at PATH during the run
// can redirect the write (issue 19 F03).
UniqueFd open_status_file(const std::string& path) {
    const std::string opt = "--json-status " + path + ": ";
    UniqueFd fd(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
    const std::string not_regular =
        "not a regular file (use --json-status-fd for a pipe or terminal)";
    if (!fd)
        fail(kExitFailed, opt + (errno == ELOOP   ? std::string("a symbolic link (never followed)")
                                 : errno == ENXIO ? not_regular // a fifo nobody reads
                                                  : std::strerror(errno)));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) fail(kExitFailed, opt + not_regular);
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    return fd;
}

void write_status(const Options& o, int status_file, const Observation* ran) {
    if (o.json_status_path.empty() && o.json_status_fd < 0) return;
    using ojson = nlohmann::ordered_json;
    ojson s;
    auto or_null = [](const std::string& v) { return v.empty() ? ojson(nullptr) : ojson(v); };
    s["terminal"] =
        ran && ran->terminal ? ojson(codec::state_name(*ran->terminal)) : ojson(nullptr);
    s["refusal"] = ran && ran->refusal ? ojson(codec::refusal_name(*ran->refusal)) : ojson(nullptr);
    s["detail"] = ran ? or_null(ran->detail) : ojson(nullptr);
    std::string fault = ran ? ran->fault : "";
    if (ran && fault.empty() && ran->child_failure)
        fault = "child errno=" + std::to_string(ran->child_failure->err) +
                " step=" + ran->child_failure->step;
    if (ran && fault.empty() && ran->child_signal)
        fault = "child ended by signal=" + std::to_string(*ran->child_signal) + " before exec";
    s["fault"] = or_null(fault);
    s["confinement_installed"] =
        ran && ran->confinement_installed ? ojson(*ran->confinement_installed) : ojson(nullptr);
    if (ran && ran->workload) {
        s["workload"] = ran->workload->exited ? ojson{{"exit", ran->workload->code}}
                                              : ojson{{"signal", ran->workload->signal}};
    } else {
        s["workload"] = nullptr;
    }
    s["launcher_exit"] = ran && ran->launcher.exited ? ojson(ran->launcher.code) : ojson(nullptr);
    s["landlock"] = ran ? fields_json(*ran, "landlock ") : ojson(nullptr);
    s["hardening"] = ran ? fields_json(*ran, "hardening ") : ojson(nullptr);
    s["network"] = ran ? fields_json(*ran, "network ") : ojson(nullptr); // null: not restricted
    std::string text = s.dump(-1, ' ', false, ojson::error_handler_t::replace) + "\n";
    auto put = [&](int fd) {
        const char* p = text.data();
        size_t n = text.size();
        while (n > 0) {
            ssize_t w = ::write(fd, p, n);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            p += w;
            n -= static_cast<size_t>(w);
        }
    };
    if (o.json_status_fd >= 0) put(o.json_status_fd);
    if (status_file >= 0) {
        int fd = status_file;
        if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
            std::fprintf(stderr, "bvisor-run: --json-status %s: %s\n", o.json_status_path.c_str(),
                         std::strerror(errno));
        put(fd);
        // The path may name something else by now (it may lie in a write root): say so,
        // rather than let a reader take another file for our status.
        struct stat ours, named;
        if (::fstat(fd, &ours) == 0 && (::lstat(o.json_status_path.c_str(), &named) != 0 ||
                                        named.st_dev != ours.st_dev || named.st_ino != ours.st_ino))
            std::fprintf(stderr,
                         "bvisor-run: --json-status %s: the file was replaced during the run; "
                         "the status went to the file opened before it\n",
                         o.json_status_path.c_str());
    }
}

// What PROGRAM left running is ended with it; when some of it could not be, say so.
void warn_survivors(const Options& o, const Observation& obs) {
    for (const auto& n : obs.notes)
        if (n.rfind("survivors ", 0) == 0 && n.find(" left") != std::string::npos)
            std::fprintf(stderr,
                         "bvisor-run: processes %s left behind are still running (%s; --cgroup "
                         "DIR and its cgroup.kill end them all)\n",
                         o.command[0].c_str(),
                         n.find(" unlisted") != std::string::npos
                             ? "without /proc only its own process group could be ended"
                             : "they outlasted the launcher's bound");
}

// --explain: every grant in force, one line each (the path as given, and where it led
// when that differs), then what the kernel applied.
void explain(std::vector<Root>& roots, const Observation& obs) {
    std::fprintf(stderr, "bvisor-run: what the sandbox allowed (--explain)\n");
    std::fprintf(stderr, "  %-6s %-9s %-20s %s\n", "rights", "kind", "why", "path");
    for (auto& r : roots) {
        const char* kind = r.kind == Kind::Directory ? "directory"
                           : r.kind == Kind::Regular ? "file"
                                                     : "device";
        std::string rights = r.role == Role::WriteRoot    ? "rw"
                             : r.kind == Kind::CharDevice ? "r"
                                                          : "rx";
        // Where a symlink led, when one did.
        const std::string& real = real_of(r);
        std::string shown = real == lexical(r.path) ? r.path : r.path + " (" + real + ")";
        std::fprintf(stderr, "  %-6s %-9s %-20s %s\n", rights.c_str(), kind, origin_name(r.origin),
                     shown.c_str());
    }
    std::fprintf(stderr, "  everything else: denied (and no fd but 0, 1, 2 inherited)\n");
    for (const auto& n : obs.notes) {
        if (n.rfind("landlock ", 0) == 0 || n.rfind("hardening ", 0) == 0 ||
            n.rfind("network ", 0) == 0 || n.rfind("seccomp=", 0) == 0 ||
            n.rfind("survivors ", 0) == 0)
            std::fprintf(stderr, "  %s\n", n.c_str());
    }
    if (obs.note_fields("network ").empty() && obs.terminal == LauncherState::ExecSucceeded)
        std::fprintf(stderr, "  network: not restricted (--allow-net)\n");
    std::fprintf(stderr, "  (the kernel's own list of denied accesses needs the audit log; "
                         "see docs/SECURITY.md)\n");
}

[[noreturn]] void conclude(const Options& o, const std::string& program, const Observation& obs) {
    if (obs.terminal == LauncherState::ExecSucceeded && obs.workload) {
        if (obs.workload->exited) finish(obs.workload->code);
        finish(128 + obs.workload->signal);
    }
    if (obs.terminal == LauncherState::SetupRefused) {
        std::string reason = obs.refusal ? codec::refusal_name(*obs.refusal) : "unknown";
        fail(kExitFailed, "refused (" + reason + "): " + obs.detail + landlock_hint(obs.detail));
    }
    if (obs.child_signal) {
        fail(128 + *obs.child_signal, "interrupted by signal " + std::to_string(*obs.child_signal) +
                                          " before " + o.command[0] + " started; nothing ran");
    }
    if (obs.terminal == LauncherState::SetupFaulted) {
        if (obs.child_failure && obs.child_failure->step == "exec") {
            int err = obs.child_failure->err;
            std::string why = std::strerror(err);
            if (err == EACCES)
                why += " (inside the sandbox: is PROGRAM, its interpreter and its libraries under "
                       "a root?)";
            fail(err == ENOENT ? kExitNotFound : kExitCannotRun,
                 "cannot execute " + program + ": " + why);
        }
        std::string what = !obs.fault.empty() ? obs.fault
                           : obs.child_failure
                               ? "child errno=" + std::to_string(obs.child_failure->err) + " (" +
                                     std::strerror(obs.child_failure->err) +
                                     ") step=" + obs.child_failure->step
                           : obs.has_note("user_namespace=map_write_failed")
                               ? std::string("could not write the user namespace id maps")
                               : std::string("launcher fault");
        fail(kExitFailed, "launch failed: " + what + landlock_hint(what));
    }
    if (!obs.launcher.exited && !obs.has_state(LauncherState::ChildCreated) &&
        obs.launcher.signal != SIGKILL) {
        // Killed by a forwarded signal before its child existed (the launcher forwards
        // them from clone3 on, and blocks them just before): nothing ran.
        fail(128 + obs.launcher.signal, "interrupted by signal " +
                                            std::to_string(obs.launcher.signal) + " before " +
                                            o.command[0] + " started; nothing ran");
    }
    std::string how = obs.launcher.exited
                          ? "exited " + std::to_string(obs.launcher.code)
                          : "was killed by signal " + std::to_string(obs.launcher.signal);
    fail(kExitFailed, "the launcher " + how + " without a result");
}

} // namespace bvisor::run
