// The workload's life under the launcher: its exit status and signals in the
// transcript, the signal contract (PROTOCOL.md section 8), child failures named by step
// (section 9, via the launcher's own error pipe), and fail-closed without Landlock.
#include "../support/kernel.hpp"
#include "../support/launch.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <csignal>
#include <cstddef>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using S = LauncherState;

namespace {

bool process_alive(long pid) {
    std::string stat = proc_file(pid, "stat");
    // A zombie (state Z) has died; it only waits to be reaped.
    auto close_paren = stat.rfind(')');
    return close_paren != std::string::npos && stat.substr(close_paren + 2, 1) != "Z";
}

// ChildCreated is written before the child execs: wait until it has become `comm`.
void wait_until_exec(long pid, const std::string& comm) {
    INFO("pid " << pid << " never became " << comm);
    REQUIRE(eventually([&] { return proc_file(pid, "comm") == comm; }));
}

// pre_exec hook: in the spawner's child, before exec'ing the launcher, make the three
// Landlock syscalls fail with ENOSYS, as on a kernel without Landlock.
int deny_landlock_enosys(void*) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 38),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return errno;
    return 0;
}

// pre_exec hook: start the launcher with SIGINT ignored and SIGUSR1 blocked.
int odd_signal_state(void*) {
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    return ::sigprocmask(SIG_BLOCK, &set, nullptr) == 0 ? 0 : errno;
}

} // namespace

TEST_CASE("the workload's exit status is noted; the launcher still exits 0",
          "[launcher][lifecycle]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    Observation o = launch(shell("exit 7").build(), as(who));
    INFO(show(o));
    CHECK(o.has_note("workload exit=7"));
    REQUIRE(o.workload.has_value());
    CHECK(o.workload->code == 7);
    CHECK(o.terminal == S::ExecSucceeded);
    CHECK(o.launcher.code == 0);
}

TEST_CASE("a workload killed by a signal is noted with the signal", "[launcher][lifecycle]") {
    Observation o = launch(shell("kill -TERM $$; sleep 5").build());
    INFO(show(o));
    REQUIRE(o.workload.has_value());
    CHECK_FALSE(o.workload->exited);
    CHECK(o.workload->signal == SIGTERM);
    CHECK(o.has_note("workload signal=15"));
    CHECK(o.terminal == S::ExecSucceeded);
    CHECK(o.launcher.code == 0);
}

TEST_CASE("termination signals sent to the launcher are forwarded to the workload",
          "[launcher][lifecycle]") {
    // The workload is `sleep` itself (a shell would outlive SIGINT and leave its own
    // child holding the output pipes).
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
        PlanBuilder b;
        b.exe("/bin/sleep").argv({"sleep", "30"});
        Launch l(make_request(b.build()));
        long pid = child_pid(l);
        wait_until_exec(pid, "sleep\n");
        l.kill(sig);
        Observation o = l.finish();
        INFO("signal " << sig << "\n" << show(o));
        REQUIRE(o.workload.has_value());
        CHECK(o.workload->signal == sig);
        CHECK(o.terminal == S::ExecSucceeded);
        CHECK(o.launcher.exited);
        CHECK(o.launcher.code == 0);
    }
}

TEST_CASE("the workload dies with the launcher (PDEATHSIG)", "[launcher][lifecycle]") {
    PlanBuilder b;
    b.exe("/bin/sleep").argv({"sleep", "30"});
    Launch l(make_request(b.build()));
    long pid = child_pid(l);
    wait_until_exec(pid, "sleep\n");
    REQUIRE(process_alive(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    l.kill(SIGKILL);
    CHECK(eventually([&] { return !process_alive(pid); }));
    Observation o = l.finish();
    CHECK_FALSE(o.launcher.exited);
    CHECK(o.launcher.signal == SIGKILL);
}

TEST_CASE("the workload starts with an empty signal mask and default dispositions",
          "[launcher][lifecycle]") {
    LaunchOptions opts;
    opts.pre_exec = odd_signal_state;
    PlanBuilder b;
    b.exe("/bin/grep").argv({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"});
    Observation o = launch(b.build(), std::move(opts));
    INFO(show(o));
    CHECK(o.out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
    CHECK(o.terminal == S::ExecSucceeded);
    // Control: a plain exec from the same odd state inherits it (so the launcher is
    // what cleared it above).
    int out[2];
    REQUIRE(::pipe(out) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(out[1], 1);
        if (odd_signal_state(nullptr) != 0) ::_exit(125);
        ::execl("/bin/grep", "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", nullptr);
        ::_exit(127);
    }
    ::close(out[1]);
    std::string plain;
    char buf[256];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;)
        plain.append(buf, static_cast<size_t>(n));
    ::close(out[0]);
    ::waitpid(pid, nullptr, 0);
    CHECK_FALSE(plain.find("SigBlk:\t0000000000000000") != std::string::npos);
    CHECK_FALSE(plain.find("SigIgn:\t0000000000000000") != std::string::npos);
}

TEST_CASE("a closed control channel cannot kill the launcher with SIGPIPE",
          "[launcher][lifecycle]") {
    TempDir dir("pipe");
    std::string marker = dir / "ran";
    Launch l(make_request(shell("sleep 0.3; touch " + marker).build()));
    REQUIRE(l.wait_for_line("ChildCreated", std::chrono::seconds(20)).has_value());
    // The host goes away: every later transcript write fails with EPIPE.
    l.close_control();
    Observation o = l.finish();
    CHECK(file_exists(marker)); // the workload still ran to its end
    CHECK(o.launcher.exited);   // not killed by SIGPIPE
    CHECK(o.launcher.code == 0);
}

TEST_CASE("a control channel closed before the first line: exit 4 and the stderr line",
          "[launcher][lifecycle]") {
    int dead[2], err[2];
    REQUIRE(::pipe(dead) == 0);
    REQUIRE(::pipe(err) == 0);
    ::close(dead[0]); // nobody will ever read the transcript: the first write gets EPIPE
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, dead[1], 42);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::string path = launcher_path();
    char* argv[] = {path.data(), nullptr};
    char env0[] = "BVISOR_CONTROL_FD=42";
    char* envp[] = {env0, nullptr};
    pid_t pid;
    REQUIRE(::posix_spawn(&pid, path.c_str(), &fa, nullptr, argv, envp) == 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(dead[1]);
    ::close(err[1]);
    std::string text;
    char buf[256];
    for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<size_t>(n));
    ::close(err[0]);
    int status;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status)); // not killed by SIGPIPE
    CHECK(WEXITSTATUS(status) == 4);
    CHECK(text == "bvisor-linux-launcher: no usable control channel fd\n");
}

TEST_CASE("a child failure names its step and errno, via the launcher's own pipe",
          "[launcher][lifecycle]") {
    TempDir dir("noexec");
    std::string prog = dir / "not-executable";
    write_file(prog, "#!/bin/sh\necho RAN\n", 0644);
    PlanBuilder b;
    b.exe(prog).argv({"x"});
    Observation o = launch(b.build());
    INFO(show(o));
    CHECK(o.terminal == S::SetupFaulted);
    REQUIRE(o.child_failure.has_value());
    CHECK(o.child_failure->err == EACCES);
    CHECK(o.child_failure->step == "exec");
    CHECK(o.has_note("child errno=13 step=exec"));
    CHECK(o.launcher.code == 4);
    CHECK(o.out.empty());
    CHECK_FALSE(o.has_state(S::ExecSucceeded));
    // The fault is the last state; the child errno note comes before it.
    CHECK(o.states.back() == S::SetupFaulted);
}

TEST_CASE("landlock denies executing a program outside every root: exec fails, named",
          "[launcher][lifecycle]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("llexec");
    std::string ro = dir.mkdir("ro");
    std::string prog = dir / "prog";
    write_file(prog, read_file("/bin/true"), 0755);
    PlanBuilder b;
    b.exe(prog).argv({"prog"}).read_root(ro).system_roots();
    Observation o = launch(b.build(), as(who));
    INFO(show(o));
    REQUIRE(o.child_failure.has_value());
    CHECK(o.child_failure->step == "exec");
    CHECK(o.child_failure->err == EACCES);
    CHECK(o.terminal == S::SetupFaulted);
}

TEST_CASE("without Landlock (ENOSYS) a landlock plan is refused and never runs",
          "[launcher][lifecycle]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    TempDir dir("nolandlock");
    std::string ro = dir.mkdir("ro");
    std::string marker = dir / "ran";
    LaunchOptions opts = as(who);
    opts.pre_exec = deny_landlock_enosys;
    Observation o =
        launch(shell("touch " + marker).read_root(ro).system_roots().build(), std::move(opts));
    INFO(show(o));
    CHECK(o.terminal == S::SetupRefused);
    CHECK(o.refusal == RefusalReason::MissingPrimitive);
    CHECK_THAT(o.detail, ContainsSubstring(
                             "Landlock is not available: Function not implemented (os error 38)"));
    CHECK_FALSE(o.has_state(S::ChildCreated));
    CHECK_FALSE(file_exists(marker));
    CHECK(o.launcher.code == 3);
    // Control: the same plan without the filter runs.
    if (landlock_usable()) {
        Observation ok =
            launch(shell("touch " + marker).read_root(ro).system_roots().build(), as(who));
        CHECK(ok.terminal == S::ExecSucceeded);
    }
}

TEST_CASE("no_new_privs is set for a confined workload", "[launcher][lifecycle]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("nnp");
    std::string ro = dir.mkdir("ro");
    PlanBuilder b;
    // /proc as a read root: Landlock would otherwise deny reading /proc/self/status.
    b.exe("/bin/grep")
        .argv({"grep", "NoNewPrivs", "/proc/self/status"})
        .read_root(ro)
        .read_root("/proc")
        .system_roots();
    Observation o = launch(b.build());
    CHECK(o.out == "NoNewPrivs:\t1\n");
    PlanBuilder c;
    c.exe("/bin/grep").argv({"grep", "NoNewPrivs", "/proc/self/status"});
    CHECK(launch(c.build()).out == "NoNewPrivs:\t0\n"); // control: unconfined
}

TEST_CASE("transcript_confinement_unavailable", "[unit][transcript]") {
    CHECK(transcript_confinement_unavailable(
        "LauncherStarted\n# child errno=38 step=landlock\nSetupFaulted\n"));
    CHECK(transcript_confinement_unavailable("x\n# fault: launcher OS fault: clone3: Function not "
                                             "implemented (os error 38)\n  SetupFaulted  \n"));
    CHECK_FALSE(
        transcript_confinement_unavailable("# child errno=38 step=landlock\nSetupRefused\n"));
    CHECK_FALSE(transcript_confinement_unavailable("# child errno=13 step=exec\nSetupFaulted\n"));
    CHECK_FALSE(transcript_confinement_unavailable("SetupFaulted\n"));
}
