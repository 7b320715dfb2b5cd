// The seccomp denylist against the real kernel (PROTOCOL.md section 8), as root and as
// uid 65534, each deny with its control (the same workload without seccomp).
#include "../support/kernel.hpp"
#include "../support/launch.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <csignal>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using S = LauncherState;

namespace {} // namespace

TEST_CASE("deny_new_tasks: the workload cannot fork; the host sees Seccomp: 2",
          "[launcher][seccomp]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    for (bool confined : {true, false}) {
        INFO((confined ? "with seccomp" : "control: without seccomp"));
        TempDir dir("tasks");
        std::string go = dir / "go";
        // Only shell builtins until /bin/true, which needs a fork.
        std::string ready = dir / "ready";
        give_to(who, dir.path());
        PlanBuilder b = shell("echo before_fork=ok; : > " + ready + "; while [ ! -e " + go +
                              " ]; do :; done; /bin/true && echo after_fork=ok");
        if (confined) b.seccomp(SeccompRequest{true, false});
        Launch l(make_request(b.build(), as(who)));
        long pid = child_pid(l);
        // The shell itself says it runs (a builtin redirection: no fork needed).
        REQUIRE(eventually([&] { return file_exists(ready); }));
        std::string status = proc_file(pid, "status");
        CHECK_THAT(status, ContainsSubstring(confined ? "Seccomp:\t2\n" : "Seccomp:\t0\n"));
        write_file(go, "");
        Observation o = l.finish();
        INFO(show(o));
        CHECK_THAT(o.out, ContainsSubstring("before_fork=ok"));
        CHECK(o.terminal == S::ExecSucceeded);
        if (confined) {
            CHECK(o.out.find("after_fork=ok") == std::string::npos);
            CHECK(o.has_note("seccomp=denylist_installed mode=filter"));
            CHECK(o.confinement_installed == true);
        } else {
            CHECK_THAT(o.out, ContainsSubstring("after_fork=ok"));
            CHECK_FALSE(o.has_note("seccomp"));
        }
    }
}

TEST_CASE("deny_new_tasks: fork, vfork, clone and clone3 all fail with EPERM",
          "[launcher][seccomp]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    // Each as its own system call (glibc's fork() is clone), so each number is tried.
    Observation o = launch(probe({"spawn-all"}).seccomp(SeccompRequest{true, false}).build());
    INFO(show(o));
    CHECK(o.out == "fork=EPERM (Operation not permitted)\nvfork=EPERM (Operation not "
                   "permitted)\nclone=EPERM (Operation not permitted)\nclone3=EPERM "
                   "(Operation not permitted)\n");
    Observation c = launch(probe({"spawn-all"}).build()); // control: each one works
    CHECK(c.out == "fork=ok\nvfork=ok\nclone=ok\nclone3=ok\n");
}

TEST_CASE("deny_inet_sockets: socket() fails with EPERM for AF_INET and AF_UNIX",
          "[launcher][seccomp]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    for (const char* fam : {"inet", "inet6", "unix"}) {
        INFO(fam);
        Observation o =
            launch(probe({"socket", fam}).seccomp(SeccompRequest{false, true}).build(), as(who));
        CHECK(o.out == std::string("socket_") + fam + "=EPERM (Operation not permitted)\n");
        CHECK(o.terminal == S::ExecSucceeded);
        Observation c = launch(probe({"socket", fam}).build(), as(who)); // control
        CHECK(c.out == std::string("socket_") + fam + "=ok\n");
    }
}

TEST_CASE("deny_inet_sockets also denies io_uring (PROTOCOL.md section 8)", "[launcher][seccomp]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    Observation o = launch(probe({"io_uring"}).seccomp(SeccompRequest{false, true}).build());
    CHECK(o.out == "io_uring_setup=EPERM (Operation not permitted)\n");
    Observation c = launch(probe({"io_uring"}).build());
    // Control: without the filter the call reaches the kernel (which may itself
    // refuse it by sysctl, but never with our EPERM from seccomp... unless disabled).
    CHECK(c.out != o.out);
}

TEST_CASE("an x32 system call kills the workload with SIGSYS (PROTOCOL.md section 8)",
          "[launcher][seccomp]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    for (auto req : {SeccompRequest{true, false}, SeccompRequest{false, true}}) {
        Observation o = launch(probe({"x32"}).seccomp(req).build(), as(who));
        INFO(show(o));
        REQUIRE(o.workload.has_value());
        CHECK_FALSE(o.workload->exited);
        CHECK(o.workload->signal == SIGSYS);
        CHECK(o.out.empty());
        CHECK(o.terminal == S::ExecSucceeded);
    }
    Observation c = launch(probe({"x32"}).build(), as(who)); // control: the kernel answers
    REQUIRE(c.workload.has_value());
    CHECK(c.workload->exited);
    CHECK_THAT(c.out, ContainsSubstring("x32="));
}

TEST_CASE("seccomp plan checks 6 and 7 through the launcher", "[launcher][seccomp]") {
    TempDir dir("secplan");
    std::string marker = dir / "ran";
    {
        PreparedLaunch p = shell("touch " + marker).build();
        p.body.lowering.insert(p.body.lowering.begin() + 1, LoweringEntry::seccomp());
        p.body.bind_lowering();
        LaunchBody body = p.body;
        Observation o = launch_frame(encode_frame(body), std::move(p.grants));
        CHECK(o.refusal == RefusalReason::MissingPrimitive);
        CHECK_THAT(o.detail, ContainsSubstring("target.seccomp is absent"));
    }
    {
        PreparedLaunch p = shell("touch " + marker).seccomp(SeccompRequest{false, false}).build();
        LaunchBody body = p.body;
        Observation o = launch_frame(encode_frame(body), std::move(p.grants));
        CHECK(o.refusal == RefusalReason::MissingPrimitive);
        CHECK_THAT(o.detail, ContainsSubstring("denies nothing"));
    }
    {
        PreparedLaunch p = shell("touch " + marker).build();
        p.body.target.seccomp = SeccompRequest{true, true};
        LaunchBody body = p.body;
        Observation o = launch_frame(encode_frame(body), std::move(p.grants));
        CHECK(o.refusal == RefusalReason::PlanInvalid);
        CHECK_THAT(o.detail, ContainsSubstring("no seccomp entry"));
    }
    CHECK_FALSE(file_exists(marker));
}

TEST_CASE("everything at once as uid 65534: landlock + seccomp + userns + netns",
          "[launcher][seccomp]") {
    if (!running_as_root()) SKIP("needs root to drop to uid 65534");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "unprivileged user namespaces disabled");
    Who who{true};
    TempDir dir("all");
    std::string rw = dir.mkdir("rw");
    give_to(who, rw);
    // Builtins only, then /bin/true, which needs a fork: denied, and dash gives up.
    PlanBuilder b = shell("echo inside > " + rw + "/written; echo start; /bin/true; echo done");
    b.write_root(rw)
        .system_roots()
        .seccomp(SeccompRequest{true, true})
        .user_namespace()
        .network_namespace();
    Observation o = launch(b.build(), as(who));
    INFO(show(o));
    CHECK(read_file(rw + "/written") == "inside\n"); // landlock: the write root is writable
    CHECK(o.out == "start\n");
    CHECK_THAT(o.err, ContainsSubstring("Cannot fork"));
    REQUIRE(o.workload.has_value());
    CHECK(o.workload->code == 2);
    CHECK(o.has_note("seccomp=denylist_installed mode=filter"));
    CHECK(o.has_note("user_namespace=mapped child_uid0_egid0"));
    CHECK(o.has_note("network_namespace=empty_netns child_isolated"));
    CHECK(o.confinement_installed == true);
    CHECK(o.terminal == S::ExecSucceeded);
}
