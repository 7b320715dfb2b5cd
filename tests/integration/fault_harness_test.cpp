// A fault-injection harness for the launcher's report (issue 16): thousands of short
// launches, each hit by a signal at a random moment of its life (SIGTERM, SIGINT,
// SIGKILL, SIGSTOP then SIGCONT; to the launcher or to its whole process group), on
// both child paths (CLONE_VFORK and the user-namespace rendezvous), confined and
// unconfined, started with every signal ignored, with every signal blocked, with fds
// 0-2 closed, with an O_PATH or an unreadable 0711 executable, as root and uid 65534;
// and, deterministically, with the child stopped just after it left the launcher's
// process group (the test build's BVISOR_TEST_STOP_AFTER_SETSID: where a group stop
// that races the child's setsid lands; issue 19 F12), then the group stopped and
// continued.
//
// The oracle is ground truth. The workload (bvisor-test-probe first-write) creates a
// marker as its first act, writes the fds it has open, and exits 7. For every run:
//   * the launcher ends in bounded time, exits 0 or 4 (or was killed: by SIGKILL, which
//     proves nothing either way, or by a forwarded signal before its child existed, and
//     then nothing ran);
//   * exit 0 <=> ExecSucceeded; exit 4 <=> SetupFaulted;
//   * SetupFaulted => the marker does not exist: nothing ran;
//   * the marker exists => ExecSucceeded, or the launcher was killed by SIGKILL;
//   * ExecSucceeded with `workload exit=N` => N is 7, the marker exists, and the
//     workload had no fd open but the stdio fds the launcher had (sentinels planted at
//     1000 and just under RLIMIT_NOFILE included);
//   * ExecSucceeded with `workload signal=S` => S is a signal this run sent.
// BVISOR_FAULT_RUNS sets the number of launches (default 3000).
#include "../support/env.hpp"
#include "../support/kernel.hpp"
#include "../support/launch.hpp"

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <sys/resource.h>
#include <sys/stat.h>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using S = LauncherState;

namespace {

enum class Start { Plain, AllIgnored, AllBlocked, StdioClosed, OpathExe, StoppedAfterSetsid };
constexpr const char* kStartNames[] = {"plain",           "signals ignored",
                                       "signals blocked", "fds 0-2 closed",
                                       "O_PATH/0711 exe", "child stopped after setsid"};

struct Conditions {
    Start start = Start::Plain;
};

// In the forked spawner child, right before exec: the launcher's starting conditions.
int apply_start(void* arg) {
    const auto* c = static_cast<const Conditions*>(arg);
    if (::setpgid(0, 0) != 0) return errno; // group signals must never reach the test
    switch (c->start) {
    case Start::AllIgnored:
        for (int sig = 1; sig < 65; ++sig)
            if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_IGN);
        break;
    case Start::AllBlocked: {
        sigset_t all;
        sigfillset(&all);
        ::sigprocmask(SIG_BLOCK, &all, nullptr);
        break;
    }
    case Start::StdioClosed:
        for (int fd = 0; fd < 3; ++fd)
            ::close(fd);
        break;
    default:
        break;
    }
    return 0;
}

struct Tally {
    std::map<std::string, int> outcomes;
    int runs = 0;
    std::string text() const {
        std::ostringstream s;
        s << runs << " launches:";
        for (const auto& [k, v] : outcomes)
            s << "\n  " << v << "  " << k;
        return s.str();
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

} // namespace

TEST_CASE("fault injection: under signals at random moments the report matches ground truth",
          "[faults]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    const bool userns_ok = userns_available();
    const int runs =
        std::getenv("BVISOR_FAULT_RUNS") ? std::atoi(std::getenv("BVISOR_FAULT_RUNS")) : 3000;
    std::mt19937 rng(std::random_device{}());
    TempDir dir("faults");
    ::chmod(dir.path().c_str(), 0777); // both identities write their markers here
    std::string probe_copy = probe_path();
    // An executable uid 65534 may run but not read: the host library opens it O_PATH.
    std::string unreadable = dir / "probe-0711";
    write_file(unreadable, read_file(probe_copy), 0711);
    const int kSignals[] = {SIGTERM, SIGINT, SIGKILL, SIGSTOP, 0};
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    const int high_sentinel = static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 1 << 20)) -
                              64; // room to place fds above it
    Tally tally;

    for (int run = 0; run < runs; ++run) {
        bool unprivileged = running_as_root() ? rng() % 2 == 0 : true;
        bool userns = userns_ok && rng() % 3 == 0;
        Conditions cond{static_cast<Start>(rng() % 6)};
        const bool stopped = cond.start == Start::StoppedAfterSetsid;
        bool confined = stopped || rng() % 4 != 0; // setsid is part of the confinement
        // A stopped child is continued only by whoever stopped it: the group's stop and
        // continue are this condition's signal.
        int sig = stopped ? SIGSTOP : kSignals[rng() % 5];
        bool group = stopped || rng() % 2 == 0;
        auto delay = std::chrono::microseconds(rng() % 2500);
        std::string marker = dir / ("m" + std::to_string(run));
        std::string fds = dir / ("f" + std::to_string(run));
        INFO("run " << run << (unprivileged ? ", uid 65534" : ", root")
                    << (userns ? ", userns" : ", vfork") << (confined ? ", confined" : "") << ", "
                    << kStartNames[static_cast<int>(cond.start)] << ", signal " << sig
                    << (group ? " to the group" : " to the launcher") << " after " << delay.count()
                    << " us");

        PlanBuilder b;
        if (cond.start == Start::OpathExe && unprivileged) {
            b.exe(unreadable);
        } else if (cond.start == Start::OpathExe) {
            int fd = ::open(probe_copy.c_str(), O_PATH | O_CLOEXEC);
            REQUIRE(fd >= 0);
            b.exe_fd(UniqueFd(fd));
        } else {
            b.exe(probe_copy);
        }
        b.argv({"probe", "first-write", marker, "7", fds}).env("PATH", "/usr/bin:/bin");
        // /proc as a read root: the workload lists its own fds there, O_PATH ones too.
        if (confined)
            b.write_root(dir.path()).read_root(probe_dir()).read_root("/proc").system_roots();
        if (userns) b.user_namespace();
        LaunchOptions opts = as(Who{unprivileged});
        if (stopped) {
            opts.testhooks = true;
            opts.extra_env = {"BVISOR_TEST_STOP_AFTER_SETSID=1"};
        }
        opts.pre_exec = apply_start;
        opts.pre_exec_arg = &cond;
        // Sentinels the launcher inherits but the plan does not declare: one at 1000, one
        // as high as this process may go.
        for (int sentinel : {1000, high_sentinel}) {
            int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            REQUIRE(fd >= 0);
            opts.extra_grants.push_back(Grant{sentinel, UniqueFd(fd)});
        }
        LaunchRequest req = make_request(b.build(), std::move(opts));
        req.timeout = std::chrono::seconds(20);

        Launch l(std::move(req));
        if (stopped) {
            // The group's stop and continue come after the child stopped itself.
            REQUIRE(eventually([&] {
                long child = window_child(l.pid());
                return child && proc_state(child) == 'T';
            }));
        }
        if (sig != 0) {
            std::this_thread::sleep_for(delay);
            pid_t target = group ? -l.pid() : l.pid();
            ::kill(target, sig);
            if (sig == SIGSTOP) {
                std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
                ::kill(target, SIGCONT);
            }
        }
        Observation o = l.finish();
        INFO(show(o));
        ++tally.runs;
        REQUIRE_FALSE(o.timed_out); // bounded: the launcher never hangs
        bool ran = file_exists(marker);
        std::string outcome;
        if (!o.launcher.exited) {
            // Killed: by SIGKILL, or by a forwarded signal before it had a child (it
            // forwards them from clone3 on, and blocks them just before).
            // A launcher killed by SIGKILL says nothing about its child (with CLONE_VFORK
            // the child may have exec'd before ChildCreated was written).
            CHECK((o.launcher.signal == sig));
            if (o.launcher.signal != SIGKILL) {
                CHECK_FALSE(o.has_state(S::ChildCreated));
                CHECK_FALSE(ran);
            }
            outcome = "launcher killed by signal " + std::to_string(o.launcher.signal) +
                      (ran ? " (after the exec)" : "");
        } else {
            CHECK((o.launcher.code == 0 || o.launcher.code == 4));
            CHECK((o.launcher.code == 0) == (o.terminal == S::ExecSucceeded));
            CHECK((o.launcher.code == 4) == (o.terminal == S::SetupFaulted));
            if (o.terminal == S::SetupFaulted) {
                CHECK_FALSE(ran); // the one thing a fault may never hide: a run
                outcome = o.child_signal ? "SetupFaulted: child ended by signal " +
                                               std::to_string(*o.child_signal) + " before exec"
                                         : "SetupFaulted: " + o.fault;
            }
            if (ran) CHECK(o.terminal == S::ExecSucceeded);
            if (o.terminal == S::ExecSucceeded) {
                REQUIRE(o.workload.has_value());
                if (o.workload->exited) {
                    CHECK(o.workload->code == 7);
                    CHECK(ran);
                    // No fd but the stdio fds the launcher itself had.
                    std::vector<std::string> expect = cond.start == Start::StdioClosed
                                                          ? std::vector<std::string>{}
                                                          : std::vector<std::string>{"0", "1", "2"};
                    CHECK(lines_of(read_file(fds)) == expect);
                    outcome = "ExecSucceeded, workload exit 7";
                } else {
                    CHECK(o.workload->signal == sig); // only what this run sent
                    outcome = "ExecSucceeded, workload killed by signal " +
                              std::to_string(o.workload->signal) +
                              (ran ? " after its first act" : " before its first act");
                }
            }
        }
        ++tally.outcomes[outcome];
    }
    WARN("fault injection, " << tally.text());
}
