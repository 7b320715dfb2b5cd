// bvisor-run: run one command confined to the directories it needs.
//
//   bvisor-run [OPTIONS] -- PROGRAM [ARGS...]
//
// It opens every path itself (an error names the path, before anything runs), builds
// a v1 plan with the host library, starts bvisor-linux-launcher and passes its own
// stdin, stdout and stderr straight to the workload. The manual is
// docs/bvisor-run.1.md (installed as bvisor-run(1)); --help is a summary of it.
//
// Exit status (the conventions of env(1) and timeout(1)): the workload's own status,
// 128+N when it was killed by signal N; 125 when bvisor-run or the launcher refused or
// failed (one line on stderr says why); 126 when PROGRAM was found but cannot be run;
// 127 when PROGRAM was not found.
#include "bvisor/plan_json.hpp"
#include "bvisor/spawn.hpp"
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
#include <string>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

using namespace bvisor;

constexpr int kExitFailed = 125;
constexpr int kExitCannotRun = 126;
constexpr int kExitNotFound = 127;
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

constexpr const char* kHelp = R"(usage: bvisor-run [OPTIONS] -- PROGRAM [ARGS...]

Run PROGRAM confined: it may read only the read roots, write only the write roots,
and it inherits no file descriptor but stdin, stdout and stderr.

Filesystem (Landlock; needs Linux 6.2 or newer):
  --ro PATH             PROGRAM may read and execute under PATH (repeatable)
  --rw PATH             PROGRAM may read, write, create and delete under PATH (repeatable)
  --no-system-roots     do not add the system directories as read roots; by default
                        /usr /lib /lib64 /bin /sbin /etc (those that exist) are added
  PROGRAM is looked up in your PATH like a shell does; if it lies outside every
  root, its directory is added as a read root so that it can start.

Environment (the default is only PATH=/usr/local/bin:/usr/bin:/bin):
  --env NAME=VALUE      set NAME (repeatable)
  --inherit-env NAME    copy NAME from your environment (repeatable)

Kernel confinement:
  --deny-fork           seccomp: fork, vfork, clone and clone3 fail with EPERM
  --deny-sockets        seccomp: socket() (every family) and io_uring fail with EPERM
  --userns              run as uid 0 / gid 0 in a new user namespace
  --no-network          a new, empty network namespace (implies --userns)
  --cgroup DIR          start PROGRAM inside this existing cgroup2 directory

Reporting:
  --transcript          print the launcher's transcript on stderr when done
  --json-status PATH    write a JSON status object to PATH when done
  --json-status-fd N    write it to file descriptor N
  --dry-run             print the launch plan (JSON for `bvisor-plan encode`), exit
  --launcher PATH       the launcher to use (default: the one beside bvisor-run)
  --help, --version

Exit status: PROGRAM's own; 128+N if it was killed by signal N; 125 if bvisor-run or
the launcher refused or failed; 126 if PROGRAM cannot be run; 127 if it was not found.
)";

struct Options {
    std::vector<std::string> ro, rw;
    bool system_roots = true;
    std::vector<std::pair<std::string, std::string>> env;
    bool deny_fork = false, deny_sockets = false, userns = false, no_network = false;
    std::string cgroup, launcher, json_status_path;
    int json_status_fd = -1;
    bool transcript = false, dry_run = false;
    std::vector<std::string> command;
};

void write_status(const Options& o, const bvisor::Observation& obs, bool have_obs);

// Set once the options are known, so that a failure before the launch still writes
// the --json-status object (every fact null: nothing ran).
const Options* g_status_options = nullptr;

[[noreturn]] void fail(int code, const std::string& line) {
    if (g_status_options) write_status(*g_status_options, bvisor::Observation{}, false);
    std::fprintf(stderr, "bvisor-run: %s\n", line.c_str());
    std::exit(code);
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

void set_env(Options& o, const std::string& name, const std::string& value) {
    for (auto& [n, v] : o.env) {
        if (n == name) {
            v = value;
            return;
        }
    }
    o.env.emplace_back(name, value);
}

Options parse_args(int argc, char** argv) {
    Options o;
    o.env.emplace_back("PATH", kDefaultPath);
    int i = 1;
    auto value = [&](const std::string& opt) -> std::string {
        if (i + 1 >= argc) fail(kExitFailed, opt + " needs a value (see --help)");
        return argv[++i];
    };
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "--help" || a == "-h") {
            std::fputs(kHelp, stdout);
            std::exit(0);
        } else if (a == "--version") {
            std::printf("bvisor-run %s (plan protocol v1)\n", kVersion);
            std::exit(0);
        } else if (a == "--ro") {
            o.ro.push_back(value(a));
        } else if (a == "--rw") {
            o.rw.push_back(value(a));
        } else if (a == "--no-system-roots") {
            o.system_roots = false;
        } else if (a == "--env") {
            std::string kv = value(a);
            auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0)
                fail(kExitFailed, "--env " + kv + ": expected NAME=VALUE");
            set_env(o, kv.substr(0, eq), kv.substr(eq + 1));
        } else if (a == "--inherit-env") {
            std::string name = value(a);
            if (name.empty() || name.find('=') != std::string::npos)
                fail(kExitFailed, "--inherit-env " + name + ": expected a variable name");
            if (const char* v = std::getenv(name.c_str()))
                set_env(o, name, v);
            else
                std::fprintf(stderr,
                             "bvisor-run: --inherit-env %s: not set in your environment, skipped\n",
                             name.c_str());
        } else if (a == "--deny-fork") {
            o.deny_fork = true;
        } else if (a == "--deny-sockets") {
            o.deny_sockets = true;
        } else if (a == "--userns") {
            o.userns = true;
        } else if (a == "--no-network") {
            o.no_network = true;
            o.userns = true;
        } else if (a == "--cgroup") {
            o.cgroup = value(a);
        } else if (a == "--launcher") {
            o.launcher = value(a);
        } else if (a == "--transcript") {
            o.transcript = true;
        } else if (a == "--json-status") {
            o.json_status_path = value(a);
        } else if (a == "--json-status-fd") {
            std::string n = value(a);
            char* end = nullptr;
            long fd = std::strtol(n.c_str(), &end, 10);
            if (n.empty() || *end || fd < 0 || fd > INT_MAX)
                fail(kExitFailed, "--json-status-fd " + n + ": not a file descriptor");
            if (::fcntl(static_cast<int>(fd), F_GETFD) < 0)
                fail(kExitFailed, "--json-status-fd " + n + ": " + std::strerror(errno));
            o.json_status_fd = static_cast<int>(fd);
        } else if (a == "--dry-run") {
            o.dry_run = true;
        } else if (!a.empty() && a[0] == '-') {
            fail(kExitFailed, "unknown option " + a + " (see --help)");
        } else {
            break; // PROGRAM without "--"
        }
    }
    for (; i < argc; ++i)
        o.command.emplace_back(argv[i]);
    if (o.command.empty())
        fail(kExitFailed, "no PROGRAM given (usage: bvisor-run [OPTIONS] -- PROGRAM [ARGS...])");
    return o;
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

// Every root path must exist and be a directory we can open: checked before anything
// runs, so the error names the path the user typed.
void check_dir(const std::string& opt, const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail(kExitFailed, opt + " " + path + ": " + std::strerror(errno));
    ::close(fd);
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
           ", and plans with --ro/--rw or system roots need Landlock ABI 3, i.e. Linux 6.2 or "
           "newer with "
           "Landlock enabled";
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
    if (!o.json_status_path.empty()) {
        int fd = ::open(o.json_status_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            std::fprintf(stderr, "bvisor-run: --json-status %s: %s\n", o.json_status_path.c_str(),
                         std::strerror(errno));
        } else {
            put(fd);
            ::close(fd);
        }
    }
}

volatile pid_t g_launcher = 0;

void forward(int sig) {
    pid_t p = g_launcher;
    if (p > 0) ::kill(p, sig);
}

} // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    g_status_options = &o;
    if (o.launcher.empty()) o.launcher = self_dir(argv[0]) + "/bvisor-linux-launcher";
    if (!o.dry_run && ::access(o.launcher.c_str(), X_OK) != 0)
        fail(kExitFailed,
             "launcher " + o.launcher + ": " + std::strerror(errno) + " (use --launcher PATH)");
    if (o.json_status_fd >= 0) ::fcntl(o.json_status_fd, F_SETFD, FD_CLOEXEC);

    std::string program = resolve_program(o.command[0]);
    for (const auto& p : o.ro)
        check_dir("--ro", p);
    for (const auto& p : o.rw)
        check_dir("--rw", p);
    if (!o.cgroup.empty()) check_dir("--cgroup", o.cgroup);

    PlanBuilder b;
    b.exe(program).argv(o.command);
    for (const auto& [n, v] : o.env)
        b.env(n, v);
    for (const auto& p : o.ro)
        b.read_root(p);
    for (const auto& p : o.rw)
        b.write_root(p);
    if (o.system_roots) b.system_roots();

    // PROGRAM must be executable inside the sandbox: add its directory when no root
    // already covers it.
    std::vector<std::string> roots;
    for (const auto& p : o.ro)
        roots.push_back(real_path(p));
    for (const auto& p : o.rw)
        roots.push_back(real_path(p));
    if (o.system_roots)
        for (const auto& p : system_exec_roots())
            roots.push_back(real_path(p));
    std::string real_program = real_path(program);
    bool covered = false;
    for (const auto& r : roots)
        covered = covered || beneath(real_program, r);
    if (!covered)
        b.read_root(real_program.substr(0, real_program.rfind('/')).empty()
                        ? "/"
                        : real_program.substr(0, real_program.rfind('/')));

    if (o.deny_fork || o.deny_sockets) b.seccomp(SeccompRequest{o.deny_fork, o.deny_sockets});
    if (o.userns) b.user_namespace();
    if (o.no_network) b.network_namespace();
    if (!o.cgroup.empty()) b.cgroup(o.cgroup);

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

    if (o.dry_run) {
        for (const auto& g : prepared.grants) {
            char link[64], target[PATH_MAX] = {};
            std::snprintf(link, sizeof link, "/proc/self/fd/%d", g.fd.get());
            ssize_t n = ::readlink(link, target, sizeof target - 1);
            if (n > 0) std::fprintf(stderr, "bvisor-run: slot %d = %s\n", g.slot, target);
        }
        std::printf("%s\n", to_json(prepared.body).c_str());
        return 0;
    }

    LaunchRequest req;
    req.launcher = o.launcher;
    req.frame = encode_frame(prepared.body);
    req.grants = std::move(prepared.grants);
    req.capture_output = false; // the workload gets our stdin, stdout and stderr
    req.timeout = std::chrono::hours(24 * 365 * 100);

    Observation obs;
    try {
        Launch launch(std::move(req));
        g_launcher = launch.pid();
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
            struct sigaction sa = {};
            sa.sa_handler = forward;
            sigfillset(&sa.sa_mask);
            sa.sa_flags = SA_RESTART;
            ::sigaction(sig, &sa, nullptr);
        }
        obs = launch.finish();
    } catch (const std::exception& e) {
        fail(kExitFailed, e.what()); // writes the all-null status
    }

    if (o.transcript) std::fputs(obs.transcript.c_str(), stderr);
    write_status(o, obs, true);
    g_status_options = nullptr; // written: fail() below must not overwrite it

    if (obs.terminal == LauncherState::ExecSucceeded && obs.workload) {
        if (obs.workload->exited) return obs.workload->code;
        return 128 + obs.workload->signal;
    }
    if (obs.terminal == LauncherState::SetupRefused) {
        std::string reason = obs.refusal ? codec::refusal_name(*obs.refusal) : "unknown";
        fail(kExitFailed, "refused (" + reason + "): " + obs.detail + landlock_hint(obs.detail));
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
    std::string how = obs.launcher.exited
                          ? "exited " + std::to_string(obs.launcher.code)
                          : "was killed by signal " + std::to_string(obs.launcher.signal);
    fail(kExitFailed, "the launcher " + how + " without a result");
}
