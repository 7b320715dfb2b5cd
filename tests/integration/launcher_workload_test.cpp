// What the workload gets (upstream launcher_env, launcher_inherited_fds,
// inherited_fds_none, launcher_capture): exactly the declared environment, no
// undeclared fd, stdout/stderr captured exactly. Each runs five times.
#include "../support/launch.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <set>
#include <spawn.h>
#include <sys/wait.h>
#include <sstream>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using S = LauncherState;

namespace {

std::set<int> open_fds_of(long pid) {
    std::set<int> fds;
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] != '.') fds.insert(std::stoi(e->d_name));
        }
        ::closedir(d);
    }
    return fds;
}

std::string fs_link(const std::string& path) {
    char buf[256] = {};
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
}

} // namespace

TEST_CASE("the workload's environment is exactly the declared envp", "[launcher][env]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    for (int run = 0; run < 5; ++run) {
        PlanBuilder b;
        b.exe("/usr/bin/env")
            .argv({"env"})
            .env("PATH", "/usr/bin:/bin")
            .env("BVISOR_DECLARED_ONLY", "present");
        b.env("WITH_EQUALS", "a=b=c").env("EMPTY", "");
        Observation o = launch(b.build(), as(who));
        INFO(show(o));
        CHECK(o.out ==
              "PATH=/usr/bin:/bin\nBVISOR_DECLARED_ONLY=present\nWITH_EQUALS=a=b=c\nEMPTY=\n");
        for (const char* name : {"BVISOR_CONTROL_FD", "BVISOR_LAUNCH_PLAN_FD", "BVISOR_ERROR_FD",
                                 "BVISOR_ERROR_READ_FD"})
            CHECK(o.out.find(name) == std::string::npos);
        CHECK(o.out.find("BVISOR_LAUNCH") == std::string::npos);
        CHECK(o.terminal == S::ExecSucceeded);
    }
}

TEST_CASE("argv reaches the workload exactly, including argv[0]", "[launcher][env]") {
    PlanBuilder b;
    b.exe("/bin/sh").argv({"custom-zero", "-c", "printf '%s|' \"$0\" \"$@\"", "zero", "one",
                           "two words", "", "three"});
    Observation o = launch(b.build());
    CHECK(o.out == "zero|one|two words||three|");
    PlanBuilder c;
    c.exe("/bin/cat").argv({"custom-zero", "/proc/self/cmdline"});
    Observation p = launch(c.build());
    CHECK(p.out == std::string("custom-zero\0/proc/self/cmdline\0", 31));
}

TEST_CASE("control: without the launcher, the same script does write through fd 50",
          "[launcher][fds]") {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 50);
    char arg0[] = "sh", arg1[] = "-c";
    std::string script = "if echo LEAK 2>/dev/null >/proc/self/fd/50; then echo LEAKED >&2; fi";
    char* argv[] = {arg0, arg1, script.data(), nullptr};
    char* envp[] = {nullptr};
    pid_t pid;
    REQUIRE(::posix_spawn(&pid, "/bin/sh", &fa, nullptr, argv, envp) == 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(p[1]);
    int status;
    ::waitpid(pid, &status, 0);
    char buf[16] = {};
    CHECK(::read(p[0], buf, sizeof buf) == 5);
    CHECK(std::string(buf) == "LEAK\n");
    ::close(p[0]);
}

TEST_CASE("an undeclared inherited fd is closed before the workload runs", "[launcher][fds]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    for (int run = 0; run < 5; ++run) {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        UniqueFd read_end(p[0]), write_end(p[1]);
        LaunchOptions opts = as(who);
        opts.extra_grants.push_back(
            Grant{50, std::move(write_end)}); // not declared; CLOEXEC cleared at fd 50
        Observation o = launch(shell("if echo LEAK 2>/dev/null >/proc/self/fd/50; then echo "
                                     "LEAKED; else echo SCRUBBED; fi")
                                   .build(),
                               std::move(opts));
        INFO(show(o));
        CHECK(o.out == "SCRUBBED\n");
        CHECK(o.terminal == S::ExecSucceeded);
        CHECK(o.refusal == std::nullopt);
        ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
        char buf[16];
        CHECK(::read(read_end.get(), buf, sizeof buf) ==
              0); // every write end is gone: EOF, no data
    }
}

TEST_CASE("scrub: an undeclared non-CLOEXEC fd at 30 is absent, stdout open", "[launcher][fds]") {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    LaunchOptions opts;
    opts.extra_grants.push_back(Grant{30, UniqueFd(fd)});
    Observation o = launch(
        shell("if [ -e /proc/self/fd/30 ]; then echo EXTRA_OPEN; else echo EXTRA_CLOSED; fi; "
              "if [ -e /proc/self/fd/1 ]; then echo STDOUT_OPEN; fi")
            .build(),
        std::move(opts));
    CHECK(o.out == "EXTRA_CLOSED\nSTDOUT_OPEN\n");
    CHECK(o.terminal == S::ExecSucceeded);
}

TEST_CASE("the workload holds only stdio (ELF: the exe fd is close-on-exec, PROTOCOL.md section 8)",
          "[launcher][fds]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    // Sentinels the plan does not declare, low and as high as fds go here.
    const int high = static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 1 << 20)) - 64;
    for (int run = 0; run < 5; ++run) {
        LaunchOptions opts = as(who);
        for (int sentinel : {60, 1000, high})
            opts.extra_grants.push_back(Grant{sentinel, UniqueFd(::open("/dev/null", O_RDONLY))});
        PlanBuilder b;
        b.exe("/bin/sleep").argv({"sleep", "0.5"});
        Launch l(make_request(b.build(), std::move(opts)));
        long pid = child_pid(l);
        // Wait until the child is `sleep`, past its dynamic loader (which opens its
        // libraries as fd 3 for a moment), blocked in clock_nanosleep (230).
        REQUIRE(eventually([&] { return proc_file(pid, "syscall").rfind("230 ", 0) == 0; }));
        REQUIRE(proc_file(pid, "comm") == "sleep\n");
        std::set<int> fds = open_fds_of(pid);
        Observation o = l.finish();
        INFO(show(o));
        for (int fd : fds)
            INFO("fd " << fd << " -> "
                       << fs_link("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd)));
        CHECK(fds == std::set<int>{0, 1, 2}); // exactly stdio, however high we planted
        CHECK(o.terminal == S::ExecSucceeded);
    }
}

TEST_CASE(
    "a #! script keeps its exe fd open so the interpreter can read it (PROTOCOL.md section 8)",
    "[launcher][fds]") {
    TempDir dir("script");
    std::string script = dir / "s.sh";
    write_file(script, "#!/bin/sh\nls /proc/self/fd/ | sort -n | tr '\\n' ' '\necho SCRIPT-RAN\n",
               0755);
    PlanBuilder b;
    b.exe(script).argv({"s.sh"}).env("PATH", "/usr/bin:/bin");
    Observation o = launch(b.build());
    INFO(show(o));
    CHECK(o.out.find("SCRIPT-RAN") != std::string::npos);
    std::istringstream fds(o.out);
    std::set<int> seen;
    for (std::string tok; fds >> tok && tok != "SCRIPT-RAN";)
        seen.insert(std::stoi(tok));
    CHECK(seen.count(10)); // the exe fd, which /bin/sh was given as /dev/fd/10
    for (int fd : seen)
        CHECK((fd <= 3 || fd == 10)); // 3: the directory ls is listing
}

TEST_CASE("stdout and stderr are captured exactly, with no launcher text", "[launcher][capture]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    for (int run = 0; run < 5; ++run) {
        Observation o = launch(shell("printf OUT; printf ERR >&2").build(), as(who));
        CHECK(o.out == "OUT");
        CHECK(o.err == "ERR");
        for (const char* text :
             {"bvisor-linux-launcher", "SetupRefused", "SetupFaulted", "LauncherStarted"}) {
            CHECK(o.out.find(text) == std::string::npos);
            CHECK(o.err.find(text) == std::string::npos);
        }
    }
}

TEST_CASE("256 KiB of output is captured without deadlock", "[launcher][capture]") {
    for (int run = 0; run < 5; ++run) {
        Observation o = launch(
            shell(
                "head -c 262144 /dev/zero | tr '\\0' X; head -c 100000 /dev/zero | tr '\\0' Y >&2")
                .build());
        CHECK_FALSE(o.timed_out);
        CHECK(o.out == std::string(262144, 'X'));
        CHECK(o.err == std::string(100000, 'Y'));
        CHECK(o.terminal == S::ExecSucceeded);
    }
}

TEST_CASE("stdin passes through to the workload untouched", "[launcher][capture]") {
    LaunchOptions opts;
    opts.stdin_data = "line one\nline two\n";
    Observation o = launch(shell("cat").build(), std::move(opts));
    CHECK(o.out == "line one\nline two\n");
}

TEST_CASE("the unprivileged variant really runs as uid/gid 65534 with no groups",
          "[launcher][contract]") {
    if (!running_as_root()) SKIP("needs root to drop to uid 65534");
    Observation o = launch(shell("id -u; id -g; id -G").build(), as(Who{true}));
    CHECK(o.out == "65534\n65534\n65534\n");
    Observation r = launch(shell("id -u").build(), as(Who{false}));
    CHECK(r.out == "0\n");
}
