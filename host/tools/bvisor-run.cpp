// bvisor-run: run one command confined to the directories it needs.
//
//   bvisor-run [OPTIONS] -- PROGRAM [ARGS...]
//
// It opens every path itself, once (an error names the path, before anything runs),
// and grants what it opened, never a path looked up again; builds a v1 plan with the
// host library; starts bvisor-linux-launcher, in a process group of its own, and
// passes its own stdin, stdout and stderr to the workload, except a terminal: then the
// workload gets a new pseudo-terminal that bvisor-run relays to yours
// (bvisor/terminal.hpp). The manual is docs/bvisor-run.1.md (installed as
// bvisor-run(1)); --help is a summary of it.
//
// Defaults a workload can live with (docs/bvisor-run.1.md, "DEFAULTS"): the system
// directories as read roots, the harmless devices (/dev/null, /dev/zero, /dev/full read
// and write; /dev/random, /dev/urandom read) as single-file roots, PROGRAM itself (and
// a script's interpreter) as a single-file root when no root covers it (never its
// directory), and a private TMPDIR that is removed when the run ends, whatever way it
// ends (but SIGKILL).
//
// Files it writes as a deputy: --json-status PATH is opened before the launch, never
// through a symlink and only as a regular file, and written through that descriptor.
//
// Signals: the ones it forwards are blocked from its first instruction and handled
// before the launcher exists, so none can end bvisor-run and leave the launch behind;
// the launcher is started with them at their defaults and dies with bvisor-run
// (PR_SET_PDEATHSIG), taking the workload with it. Once the launcher is reaped they are
// back at their defaults: nothing after it can hang past a Ctrl-C.
//
// Exit status (the conventions of env(1) and timeout(1)): the workload's own status,
// 128+N when it was killed by signal N (or the launch was interrupted by signal N
// before it started); 125 when bvisor-run or the launcher refused or failed (one line
// on stderr says why); 126 when PROGRAM was found but cannot be run; 127 when PROGRAM
// was not found.
#include "bvisor/capabilities.hpp"
#include "bvisor/plan_json.hpp"
#include "bvisor/run_options.hpp"
#include "bvisor/spawn.hpp"
#include "bvisor/terminal.hpp"
#include "bvisor/tmpdir.hpp"
#include "bvisor/version.hpp"
#include "codec/blake3.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <string>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace bvisor;

constexpr int kExitFailed = 125;
constexpr int kExitCannotRun = 126;
constexpr int kExitNotFound = 127;
// Forwarded to the launcher (which forwards them to the workload).
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
// The devices every program may use unless --no-default-devices.
constexpr const char* kDefaultRwDevices[] = {"/dev/null", "/dev/zero", "/dev/full"};
constexpr const char* kDefaultRoDevices[] = {"/dev/random", "/dev/urandom"};

// Why a root is in the plan: the option that named it, or the default that added it.
enum class Origin {
    Ro,
    Rw,
    Dev,
    Cgroup,
    SystemRoot,
    DefaultDevice,
    PrivateTmp,
    Program,
    Interpreter
};

const char* origin_name(Origin o) { // for errors and --explain
    switch (o) {
    case Origin::Ro:
        return "--ro";
    case Origin::Rw:
        return "--rw";
    case Origin::Dev:
        return "--dev";
    case Origin::Cgroup:
        return "--cgroup";
    case Origin::SystemRoot:
        return "system root";
    case Origin::DefaultDevice:
        return "default device";
    case Origin::PrivateTmp:
        return "private TMPDIR";
    case Origin::Program:
        return "PROGRAM";
    case Origin::Interpreter:
        return "interpreter";
    }
    return "?";
}

// One path the workload may use, as named, and why.
struct RootRequest {
    std::string path;
    Role role;
    Origin origin;
};

// A root opened once: the grant is `fd`, the object it refers to, whatever `path`
// names later (the fd goes into the plan); `real` is where `path` led, read from the
// fd when --explain or the PROGRAM check needs it (real_of).
struct Root {
    std::string path;
    Role role;
    Origin origin;
    UniqueFd fd;
    Kind kind;
    std::string real;
};

// PROGRAM (or an interpreter), opened once: an O_RDONLY fd, or O_PATH when it may be
// executed but not read; always a regular file.
struct Program {
    std::string path;
    UniqueFd fd;
    bool readable = false;
};

using Options = RunOptions;

void write_status(const Options& o, const Observation& obs, bool have_obs);

// Set once the options are known, so that a failure before the launch still writes
// the --json-status object (every fact null: nothing ran).
const Options* g_status_options = nullptr;
// --json-status PATH, opened before anything runs (open_status_file).
UniqueFd g_status_file;
// The private TMPDIR: removed by every exit path below.
PrivateTmp g_tmp;
// The terminal relay and job control, once the launch is under way: every exit path
// gives the terminal its modes back.
Foreground* g_foreground = nullptr;

// The private TMPDIR goes as soon as nothing can use it any more (a kept one is named
// once).
void remove_tmp() {
    if (g_tmp.active() && g_tmp.kept()) {
        std::fprintf(stderr, "bvisor-run: kept TMPDIR %s\n", g_tmp.path().c_str());
        g_tmp = PrivateTmp(); // forgets it, leaving it in place
        return;
    }
    std::string tmp = g_tmp.path();
    if (!g_tmp.remove())
        std::fprintf(stderr,
                     "bvisor-run: could not remove TMPDIR %s (is a process the workload started "
                     "still using it?)\n",
                     tmp.c_str());
}

[[noreturn]] void finish(int code) {
    if (g_foreground) g_foreground->finish();
    remove_tmp();
    std::exit(code);
}

[[noreturn]] void fail(int code, const std::string& line) {
    if (g_foreground) g_foreground->finish(); // the terminal's own modes, for this line
    if (g_status_options) write_status(*g_status_options, Observation{}, false);
    std::fprintf(stderr, "bvisor-run: %s\n", line.c_str());
    finish(code);
}

volatile sig_atomic_t g_launcher = 0;

void forward(int sig) {
    pid_t p = g_launcher;
    if (p > 0) ::kill(p, sig);
}

// From the first instruction: the forwarded signals are blocked, and handled once
// unblocked. Until the launcher exists they stay pending.
void block_forwarded() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : kForwarded)
        sigaddset(&set, sig);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    for (int sig : kForwarded) {
        struct sigaction sa = {};
        sa.sa_handler = forward;
        sigfillset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        ::sigaction(sig, &sa, nullptr);
    }
}

// A terminating signal that arrived before the launch: the launch does not happen.
int pending_termination() {
    sigset_t pending;
    sigpending(&pending);
    for (int sig : kForwarded)
        if (sig != SIGWINCH && sigismember(&pending, sig)) return sig;
    return 0;
}

// Where the launcher is looked for. Without /proc (an image that does not mount it),
// argv[0] is the only trace of our path: enough when it names one (/bin/bvisor-run).
std::string self_dir(const char* argv0) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string p =
        n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string(argv0 ? argv0 : "");
    if (p.find('/') == std::string::npos) return ".";
    return p.substr(0, p.rfind('/'));
}

// PROGRAM as a shell finds it: a name with a '/' is a path; otherwise the first
// executable regular file of that name in the caller's PATH.
std::string resolve_program(const std::string& name) {
    auto check = [&](const std::string& path) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) fail(kExitNotFound, name + ": " + std::strerror(errno));
        if (S_ISDIR(st.st_mode)) fail(kExitCannotRun, name + ": is a directory");
        if (::access(path.c_str(), X_OK) != 0)
            fail(kExitCannotRun, name + ": " + std::strerror(errno));
        return path;
    };
    if (name.find('/') != std::string::npos) return check(name);
    const char* env_path = std::getenv("PATH");
    std::string path = env_path ? env_path : kDefaultPath;
    std::string denied;
    size_t start = 0;
    while (start <= path.size()) {
        size_t colon = path.find(':', start);
        std::string dir =
            path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        start = colon == std::string::npos ? path.size() + 1 : colon + 1;
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        struct stat st;
        if (::stat(candidate.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        if (denied.empty()) denied = candidate;
    }
    if (!denied.empty()) fail(kExitCannotRun, denied + ": " + std::strerror(EACCES));
    fail(kExitNotFound, name + ": command not found");
}

std::string real_path(const std::string& p) {
    char buf[PATH_MAX];
    if (!::realpath(p.c_str(), buf)) return p;
    return buf;
}

bool beneath(const std::string& path, const std::string& root) {
    if (root == "/") return true;
    return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
           path[root.size()] == '/';
}

// What kind of root a path is, for checks and --explain ("" if it cannot be one).
std::string root_kind(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return "";
    if (S_ISDIR(st.st_mode)) return "directory";
    if (S_ISREG(st.st_mode)) return "file";
    if (S_ISCHR(st.st_mode)) return "device";
    return "";
}

// The path an fd refers to now, from /proc (or `fallback` without /proc).
std::string fd_path(int fd, const std::string& fallback) {
    char link[64], target[PATH_MAX];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<size_t>(n)) : real_path(fallback);
}

// Opens a root once, before anything runs, so that an error names the path the user
// typed and the grant is the object checked: O_PATH (which opens no device and never
// blocks on a fifo), the type read from that fd, then a directory opened for reading
// through it.
Root open_root(const RootRequest& a) {
    auto refuse = [&](const std::string& why) {
        fail(kExitFailed, std::string(origin_name(a.origin)) + " " + a.path + ": " + why);
    };
    UniqueFd fd(::open(a.path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) refuse(std::strerror(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) refuse(std::strerror(errno));
    if (a.origin == Origin::Dev && !S_ISCHR(st.st_mode)) refuse("not a character device");
    if (S_ISBLK(st.st_mode))
        refuse("a block device is never granted (it would expose a whole disk past every root)");
    Kind kind = S_ISDIR(st.st_mode)   ? Kind::Directory
                : S_ISREG(st.st_mode) ? Kind::Regular
                : S_ISCHR(st.st_mode)
                    ? Kind::CharDevice
                    : (refuse("not a directory, file or character device"), Kind::Directory);
    if (kind == Kind::Directory) {
        UniqueFd dir(::openat(fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir) refuse(std::strerror(errno));
        fd = std::move(dir);
    }
    return Root{a.path, a.role, a.origin, std::move(fd), kind, ""};
}

// Where a root's path led, from its fd (once; /proc readlink costs a lookup per root).
const std::string& real_of(Root& r) {
    if (r.real.empty()) r.real = fd_path(r.fd.get(), r.path);
    return r.real;
}

UniqueFd dup_fd(int fd) {
    int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (d < 0) fail(kExitFailed, std::string("fcntl(F_DUPFD_CLOEXEC): ") + std::strerror(errno));
    return UniqueFd(d);
}

// PROGRAM (or an interpreter) opened once: O_PATH first (no device is ever opened for
// real, no fifo can block us), its type from that fd, then, for a regular file, an
// O_RDONLY | O_NONBLOCK fd for the same inode (O_PATH when it may not be read: it can
// still be executed). `name` is what the user typed, for messages.
Program open_program(const std::string& path, const std::string& name) {
    UniqueFd at(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!at)
        fail(errno == ENOENT ? kExitNotFound : kExitCannotRun, name + ": " + std::strerror(errno));
    struct stat st;
    if (::fstat(at.get(), &st) != 0) fail(kExitCannotRun, name + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) fail(kExitCannotRun, name + ": is a directory");
    if (!S_ISREG(st.st_mode)) fail(kExitCannotRun, name + ": not a regular file");
    UniqueFd rd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    struct stat again;
    if (rd &&
        (::fstat(rd.get(), &again) != 0 || again.st_dev != st.st_dev || again.st_ino != st.st_ino))
        fail(kExitCannotRun, name + ": changed while it was being opened");
    if (rd) return Program{path, std::move(rd), true};
    return Program{path, std::move(at), false};
}

// The status file, opened before anything runs: never through a symlink, never a fifo
// (O_NONBLOCK: opening one cannot block, and its type is refused), created if missing.
// Written through this fd only, so nothing the workload puts at PATH during the run
// can redirect the write (issue 19 F03).
void open_status_file(const std::string& path) {
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
    g_status_file = std::move(fd);
}

Digest random_digest() {
    Digest d;
    size_t got = 0;
    while (got < d.size()) {
        ssize_t n = ::getrandom(d.data() + got, d.size() - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(kExitFailed, std::string("getrandom: ") + std::strerror(errno));
        got += static_cast<size_t>(n);
    }
    return d;
}

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

void write_status(const Options& o, const Observation& obs, bool have_obs) {
    if (o.json_status_path.empty() && o.json_status_fd < 0) return;
    using ojson = nlohmann::ordered_json;
    ojson s;
    auto or_null = [](const std::string& v) { return v.empty() ? ojson(nullptr) : ojson(v); };
    s["terminal"] =
        have_obs && obs.terminal ? ojson(codec::state_name(*obs.terminal)) : ojson(nullptr);
    s["refusal"] =
        have_obs && obs.refusal ? ojson(codec::refusal_name(*obs.refusal)) : ojson(nullptr);
    s["detail"] = have_obs ? or_null(obs.detail) : ojson(nullptr);
    std::string fault = have_obs ? obs.fault : "";
    if (have_obs && fault.empty() && obs.child_failure)
        fault = "child errno=" + std::to_string(obs.child_failure->err) +
                " step=" + obs.child_failure->step;
    if (have_obs && fault.empty() && obs.child_signal)
        fault = "child ended by signal=" + std::to_string(*obs.child_signal) + " before exec";
    s["fault"] = or_null(fault);
    s["confinement_installed"] =
        have_obs && obs.confinement_installed ? ojson(*obs.confinement_installed) : ojson(nullptr);
    if (have_obs && obs.workload) {
        s["workload"] = obs.workload->exited ? ojson{{"exit", obs.workload->code}}
                                             : ojson{{"signal", obs.workload->signal}};
    } else {
        s["workload"] = nullptr;
    }
    s["launcher_exit"] =
        have_obs && obs.launcher.exited ? ojson(obs.launcher.code) : ojson(nullptr);
    s["landlock"] = have_obs ? fields_json(obs, "landlock ") : ojson(nullptr);
    s["hardening"] = have_obs ? fields_json(obs, "hardening ") : ojson(nullptr);
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
    if (g_status_file) {
        int fd = g_status_file.get();
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

// `p` made absolute and with ".", ".." and repeated slashes resolved by name only:
// what it would be were no symlink on the way.
std::string lexical(const std::string& p) {
    std::string whole = p;
    if (p.empty() || p[0] != '/') {
        char cwd[PATH_MAX];
        whole = std::string(::getcwd(cwd, sizeof cwd) ? cwd : ".") + "/" + p;
    }
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < whole.size()) {
        size_t j = whole.find('/', i);
        if (j == std::string::npos) j = whole.size();
        std::string part = whole.substr(i, j - i);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        i = j + 1;
    }
    std::string out;
    for (const auto& part : parts)
        out += "/" + part;
    return out.empty() ? "/" : out;
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
            n.rfind("seccomp=", 0) == 0 || n.rfind("survivors ", 0) == 0)
            std::fprintf(stderr, "  %s\n", n.c_str());
    }
    std::fprintf(stderr, "  (the kernel's own list of denied accesses needs the audit log; "
                         "see docs/SECURITY.md)\n");
}

// The default roots, after the user's: the system directories and the harmless
// devices, those that exist here.
void add_default_roots(const Options& o, std::vector<Root>& roots) {
    auto add = [&](const std::string& path, Role role, Origin origin, const char* kind) {
        if (root_kind(path) == kind) roots.push_back(open_root(RootRequest{path, role, origin}));
    };
    if (o.system_roots)
        for (const auto& p : system_exec_roots())
            add(p, Role::ReadRoot, Origin::SystemRoot, "directory");
    if (o.default_devices) {
        for (const char* d : kDefaultRwDevices)
            add(d, Role::WriteRoot, Origin::DefaultDevice, "device");
        for (const char* d : kDefaultRoDevices)
            add(d, Role::ReadRoot, Origin::DefaultDevice, "device");
    }
}

// The private TMPDIR, when the user did not choose one and there is a place for it (an
// image with no /tmp and no $TMPDIR simply gets none): created, held, granted by its
// descriptor, and named in PROGRAM's environment.
void make_private_tmp(Options& o, std::vector<Root>& roots) {
    const char* base = std::getenv("TMPDIR");
    bool has_base = (base && *base) || root_kind("/tmp") == "directory";
    if (!o.tmp || o.dry_run || o.has_env("TMPDIR") || !has_base) return;
    try {
        // Absolute: a relative TMPDIR would be lost by the first chdir of PROGRAM.
        g_tmp = PrivateTmp(real_path(base && *base ? base : "/tmp"));
    } catch (const std::exception& e) {
        fail(kExitFailed, std::string(e.what()) + " (or use --no-tmp)");
    }
    if (o.keep_tmp) g_tmp.keep();
    roots.push_back(Root{g_tmp.path(), Role::WriteRoot, Origin::PrivateTmp, dup_fd(g_tmp.fd()),
                         Kind::Directory, g_tmp.path()});
    o.set_env("TMPDIR", g_tmp.path());
}

// PROGRAM (and a script's interpreter) must be executable inside the sandbox: when no
// directory root holds it and no file root is it, the file alone becomes a read root
// (never its directory: that could be $HOME, /tmp with every other run's TMPDIR, or /;
// issue 19 F07, F08).
void cover_program(const Program& p, Origin why, std::vector<Root>& roots) {
    struct stat st;
    if (::fstat(p.fd.get(), &st) != 0) fail(kExitCannotRun, p.path + ": " + std::strerror(errno));
    std::string real = fd_path(p.fd.get(), p.path);
    // A real path has no symlink in it, so one beneath a root's path as given is beneath
    // the root; only when none is does each directory root's own fd say where it is.
    for (bool by_fd : {false, true}) {
        for (auto& r : roots) {
            struct stat rs;
            if (r.kind == Kind::Directory && beneath(real, by_fd ? real_of(r) : lexical(r.path)))
                return;
            if (!by_fd && r.kind == Kind::Regular && ::fstat(r.fd.get(), &rs) == 0 &&
                rs.st_dev == st.st_dev && rs.st_ino == st.st_ino)
                return;
        }
    }
    roots.push_back(Root{p.path, Role::ReadRoot, why, dup_fd(p.fd.get()), Kind::Regular, real});
}

// What the launcher executes: PROGRAM itself or, for a `#!` script, its interpreter
// with the script's path as an argument, as the kernel would run it. Left to the
// kernel, a script executed through a descriptor is named /dev/fd/N: its `$0`,
// `dirname "$0"` and `__file__` would point nowhere, and the descriptor would stay
// open. The line is read from the fd PROGRAM was opened as (so the file judged is the
// file run) and parsed as the kernel does: the interpreter up to the first blank, then
// at most one argument, the rest of the line trimmed.
struct Exec {
    Program exe;                   // what the launcher executes
    std::optional<Program> script; // PROGRAM, when `exe` is its interpreter
    std::vector<std::string> argv;
};

Exec exec_for(Program program, const std::vector<std::string>& command) {
    char buf[256];
    ssize_t n = program.readable ? ::pread(program.fd.get(), buf, sizeof buf, 0) : -1;
    auto as_is = [&] { return Exec{std::move(program), std::nullopt, command}; };
    if (n < 3 || buf[0] != '#' || buf[1] != '!') return as_is(); // unreadable: the kernel decides
    std::string line(buf + 2, static_cast<size_t>(n) - 2);
    size_t nl = line.find('\n');
    if (nl == std::string::npos) return as_is(); // longer than the kernel reads: leave it to it
    line.resize(nl);
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    size_t i = 0;
    while (i < line.size() && blank(line[i]))
        ++i;
    size_t j = i;
    while (j < line.size() && !blank(line[j]))
        ++j;
    if (i == j || line[i] != '/') return as_is(); // no (absolute) interpreter: the kernel decides
    std::string interpreter = line.substr(i, j - i);
    std::vector<std::string> argv = {interpreter};
    size_t a = j, b = line.size();
    while (a < b && blank(line[a]))
        ++a;
    while (b > a && blank(line[b - 1]))
        --b;
    if (a < b) argv.push_back(line.substr(a, b - a));
    argv.push_back(command[0].find('/') == std::string::npos ? program.path : command[0]);
    argv.insert(argv.end(), command.begin() + 1, command.end());
    Program exe = open_program(interpreter, command[0] + ": interpreter " + interpreter);
    return Exec{std::move(exe), std::move(program), std::move(argv)};
}

// The plan, with the fds opened above moved into it (what --explain says of them was
// read from them first).
PreparedLaunch build_plan(const Options& o, Exec& exec, std::vector<Root>& roots) {
    PlanBuilder b;
    b.exe_fd(std::move(exec.exe.fd)).argv(exec.argv);
    for (const auto& [n, v] : o.env)
        b.env(n, v);
    for (auto& r : roots) {
        if (r.role == Role::ReadRoot)
            b.read_root(std::move(r.fd));
        else
            b.write_root(std::move(r.fd));
    }
    if (o.deny_fork || o.deny_sockets) b.seccomp(SeccompRequest{o.deny_fork, o.deny_sockets});
    if (o.userns) b.user_namespace();
    if (o.no_network) b.network_namespace();
    if (!o.cgroup.empty()) b.cgroup(o.cgroup);
    if (o.strict) b.require_hardening();
    if (o.keep_caps) b.keep_capabilities(o.keep_caps);
    if (o.allow_abstract_unix) b.allow_abstract_unix();
    if (o.allow_signals) b.allow_signals();
    if (o.landlock_min_abi) b.landlock_min_abi(o.landlock_min_abi);

    PreparedLaunch prepared;
    try {
        // attempt_id: random per run. plan_id: BLAKE3 of the canonical target (the
        // same command gives the same plan_id). h_a, h_p: zero (no admission program,
        // no backend profile).
        prepared = b.build();
        Bytes target = encode_target(prepared.body.target);
        codec::Digest plan_id = codec::Blake3::hash(target.data(), target.size());
        Digest pid;
        std::memcpy(pid.data(), plan_id.bytes, pid.size());
        prepared.body.attempt_id = random_digest();
        prepared.body.plan_id = pid;
    } catch (const std::exception& e) {
        fail(kExitFailed, e.what());
    }
    return prepared;
}

void print_dry_run(const PreparedLaunch& prepared) {
    for (const auto& g : prepared.grants) {
        char link[64], target[PATH_MAX] = {};
        std::snprintf(link, sizeof link, "/proc/self/fd/%d", g.fd.get());
        ssize_t n = ::readlink(link, target, sizeof target - 1);
        if (n > 0) std::fprintf(stderr, "bvisor-run: slot %d = %s\n", g.slot, target);
    }
    std::printf("%s\n", to_json(prepared.body).c_str());
}

// The exit status for what happened, with the one line that says why when it failed.
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

// The workload's process group for the terminal relay and job control: its pid while
// it runs (it leads a session, and so a group, of its own), 0 before the launcher has
// said it exists, -1 once the launcher has said it ended or failed. The launcher says
// so before it reaps the child, so with `fresh` (everything the launcher has written
// read first) a pid given here cannot have been reused.
long workload_group(Launch& launch, bool fresh) {
    if (fresh) launch.read_available();
    const std::string& t = launch.transcript();
    for (const char* ended :
         {"\n# workload ", "\n# child ", "\n# fault", "\nSetupFaulted", "\nSetupRefused"})
        if (t.find(ended) != std::string::npos) return -1;
    const std::string mark = "\n# mechanism=clone3 child_pid=";
    size_t at = t.find(mark);
    if (at == std::string::npos) return 0;
    size_t end = t.find('\n', at + mark.size());
    if (end == std::string::npos) return 0; // the line is not whole yet
    return std::strtol(t.c_str() + at + mark.size(), nullptr, 10);
}

// The command line (bvisor/run_options.hpp); --help and --version end here, a usage
// error ends with 125.
Options options_or_exit(int argc, char** argv) {
    Options o;
    try {
        o = parse_run_args(argc, argv);
    } catch (const UsageError& e) {
        fail(kExitFailed, e.what());
    }
    if (o.help) std::fputs(run_help().c_str(), stdout);
    if (o.version) std::printf("bvisor-run %s (plan protocol v1)\n", kVersion);
    if (o.help || o.version) std::exit(0);
    return o;
}

// After the launcher has been reaped: the forwarded signals back at their defaults, so
// nothing bvisor-run still does (writing a status to a slow pipe) outlasts a Ctrl-C.
void default_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : kForwarded) {
        ::signal(sig, SIG_DFL);
        sigaddset(&set, sig);
    }
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

} // namespace

int main(int argc, char** argv) {
    block_forwarded();
    // A parent that ignores SIGCHLD (Python's signal.SIG_IGN, many daemons) would make
    // the kernel reap the launcher for us, and its status would be lost.
    ::signal(SIGCHLD, SIG_DFL);
    Options o = options_or_exit(argc, argv);
    g_status_options = &o;
    if (!o.json_status_path.empty()) open_status_file(o.json_status_path);
    if (o.launcher.empty()) o.launcher = self_dir(argv[0]) + "/bvisor-linux-launcher";
    if (!o.dry_run && ::access(o.launcher.c_str(), X_OK) != 0)
        fail(kExitFailed,
             "launcher " + o.launcher + ": " + std::strerror(errno) + " (use --launcher PATH)");
    // Not a stdio fd: the workload's own output goes there (issue 19 F10).
    if (o.json_status_fd > 2) ::fcntl(o.json_status_fd, F_SETFD, FD_CLOEXEC);

    // Every path is opened once, here, before anything runs.
    Program program = open_program(resolve_program(o.command[0]), o.command[0]);
    std::vector<Root> roots;
    for (const auto& a : o.roots) {
        Origin origin = a.option == RootOption::Ro   ? Origin::Ro
                        : a.option == RootOption::Rw ? Origin::Rw
                                                     : Origin::Dev;
        roots.push_back(open_root(RootRequest{
            a.path, a.option == RootOption::Ro ? Role::ReadRoot : Role::WriteRoot, origin}));
    }
    if (!o.cgroup.empty()) (void)open_root(RootRequest{o.cgroup, Role::ReadRoot, Origin::Cgroup});
    Exec exec = exec_for(std::move(program), o.command);
    add_default_roots(o, roots);
    make_private_tmp(o, roots);
    cover_program(exec.script ? *exec.script : exec.exe, Origin::Program, roots);
    if (exec.script) cover_program(exec.exe, Origin::Interpreter, roots);
    if (o.explain)
        for (auto& r : roots)
            (void)real_of(r); // now, while the fds are ours and the TMPDIR exists
    PreparedLaunch prepared = build_plan(o, exec, roots);
    if (o.dry_run) {
        print_dry_run(prepared);
        return 0;
    }

    const std::string& path = exec.script ? exec.script->path : exec.exe.path;
    Observation obs;
    std::optional<Foreground> fg; // outlives the try: fail() may still need it
    try {
        // A terminal on fds 0-2 is never handed over: the workload gets a new pty.
        fg.emplace(true);
        LaunchRequest req;
        req.launcher = o.launcher;
        req.frame = encode_frame(prepared.body);
        req.grants = std::move(prepared.grants);
        req.capture_output = false; // the workload gets our stdin, stdout and stderr
        for (int i = 0; i < 3; ++i)
            req.stdio[i] = fg->stdio(i);
        req.new_process_group = true; // our terminal's signals reach us, once (F09)
        req.io = &*fg;
        req.timeout = std::chrono::hours(24 * 365 * 100);
        req.die_with_host = true;
        req.reset_signals.assign(std::begin(kForwarded), std::end(kForwarded));
        req.before_reap = [] { g_launcher = 0; }; // its pid may be reused once reaped

        if (int sig = pending_termination())
            fail(128 + sig, "interrupted by signal " + std::to_string(sig) + " before " +
                                o.command[0] + " started; nothing ran");
        Launch launch(std::move(req));
        g_launcher = launch.pid();
        g_foreground = &*fg;
        fg->start([&launch](bool fresh) { return workload_group(launch, fresh); });
        sigset_t set;
        sigemptyset(&set);
        for (int sig : kForwarded)
            sigaddset(&set, sig);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr); // pending ones are forwarded now
        obs = launch.finish();
        fg->finish();
        g_foreground = nullptr;
    } catch (const std::exception& e) {
        fail(kExitFailed, e.what()); // writes the all-null status
    }
    default_signals();
    remove_tmp(); // nothing can use it any more

    // What PROGRAM left running is ended with it; when some of it could not be, say so.
    for (const auto& n : obs.notes)
        if (n.rfind("survivors ", 0) == 0 && n.find(" left") != std::string::npos)
            std::fprintf(stderr,
                         "bvisor-run: processes %s left behind are still running (%s; --cgroup "
                         "DIR and its cgroup.kill end them all)\n",
                         o.command[0].c_str(),
                         n.find(" unlisted") != std::string::npos
                             ? "without /proc only its own process group could be ended"
                             : "they outlasted the launcher's bound");
    if (o.transcript) std::fputs(obs.transcript.c_str(), stderr);
    if (o.explain) explain(roots, obs);
    write_status(o, obs, true);
    g_status_options = nullptr; // written: fail() below must not overwrite it
    conclude(o, path, obs);
}
