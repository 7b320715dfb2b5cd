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
//
// This file is the run's ordered steps (main) and the signals; the steps' parts are
// beside it (run.h says which file decides what).
#include "bvisor/spawn.hpp"
#include "bvisor/terminal.hpp"
#include "bvisor/version.hpp"
#include "plan.h"
#include "program.h"
#include "report.h"
#include "roots.h"
#include "run.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace bvisor::run {
namespace {

// Forwarded to the launcher (which forwards them to the workload).
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

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

} // namespace

[[noreturn]] void finish(int code) {
    if (g_foreground) g_foreground->finish();
    remove_tmp();
    std::exit(code);
}

[[noreturn]] void fail(int code, const std::string& line) {
    if (g_foreground) g_foreground->finish(); // the terminal's own modes, for this line
    if (g_status_options) write_status(*g_status_options, g_status_file.get(), nullptr);
    std::fprintf(stderr, "bvisor-run: %s\n", line.c_str());
    finish(code);
}

namespace {

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

// The launch: the launcher started in a process group of its own with our stdio (or a
// pty relayed to our terminal), the forwarded signals unblocked once it exists, and
// what it reported once it is reaped.
Observation launch_workload(const Options& o, PreparedLaunch& prepared) {
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
        for (int sig : Foreground::taken_signals()) // held by fg until it starts
            req.reset_signals.push_back(sig);
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
    return obs;
}

} // namespace
} // namespace bvisor::run

int main(int argc, char** argv) {
    using namespace bvisor;
    using namespace bvisor::run;
    block_forwarded();
    // A parent that ignores SIGCHLD (Python's signal.SIG_IGN, many daemons) would make
    // the kernel reap the launcher for us, and its status would be lost.
    ::signal(SIGCHLD, SIG_DFL);
    Options o = options_or_exit(argc, argv);
    g_status_options = &o;
    if (!o.json_status_path.empty()) g_status_file = open_status_file(o.json_status_path);
    if (o.launcher.empty()) o.launcher = self_dir(argv[0]) + "/bvisor-linux-launcher";
    if (!o.dry_run && ::access(o.launcher.c_str(), X_OK) != 0)
        fail(kExitFailed,
             "launcher " + o.launcher + ": " + std::strerror(errno) + " (use --launcher PATH)");
    // Not a stdio fd: the workload's own output goes there (issue 19 F10).
    if (o.json_status_fd > 2) ::fcntl(o.json_status_fd, F_SETFD, FD_CLOEXEC);

    // Every path is opened once, here, before anything runs.
    Program program = open_program(resolve_program(o.command[0]), o.command[0]);
    std::vector<Root> roots = open_requested_roots(o);
    Exec exec = exec_for(std::move(program), o.command);
    add_default_roots(o, roots);
    // The private TMPDIR, made now and removed by every way out (finish).
    if (wants_private_tmp(o)) {
        g_tmp = make_private_tmp(o);
        roots.push_back(private_tmp_root(g_tmp));
        o.set_env("TMPDIR", g_tmp.path());
    }
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
    Observation obs = launch_workload(o, prepared);
    default_signals();
    remove_tmp(); // nothing can use it any more

    warn_survivors(o, obs);
    if (o.transcript) std::fputs(obs.transcript.c_str(), stderr);
    if (o.explain) explain(roots, obs);
    write_status(o, g_status_file.get(), &obs);
    g_status_options = nullptr; // written: fail() below must not overwrite it
    conclude(o, path, obs);
}
