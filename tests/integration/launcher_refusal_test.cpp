// The happy path and every refusal of PROTOCOL.md section 7 through the real
// launcher (upstream launcher_skeleton_linux.rs and more). A refused launch never
// creates a child: no ChildCreated, and a marker file the workload would have written
// never appears.
#include "../support/launch.hpp"
#include "../support/mp_value.hpp"
#include "../support/process.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fcntl.h>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using S = LauncherState;

namespace {

// A launch that would leave `marker` behind if the workload ever ran.
struct Marked {
    TempDir dir{"refuse"};
    std::string marker = dir / "ran";
    PreparedLaunch plan() const { return shell("touch " + marker).build(); }
};

void expect_refused(const Observation& o, RefusalReason reason, const std::string& marker) {
    INFO(show(o));
    CHECK(o.terminal == S::SetupRefused);
    CHECK(o.refusal == reason);
    CHECK_FALSE(o.has_state(S::ChildCreated));
    CHECK_FALSE(o.child_pid.has_value());
    CHECK(o.launcher.exited);
    CHECK(o.launcher.code == 3);
    CHECK_FALSE(o.detail.empty());
    CHECK(o.states.back() == S::SetupRefused); // nothing after it
    CHECK(o.transcript.substr(o.transcript.size() - 13) == "SetupRefused\n");
    CHECK(o.unknown_lines.empty());
    CHECK_FALSE(file_exists(marker));
}

// The launcher with `env`, its fd 5 being the captured stdout (a control channel in
// 0-2 is itself a fault).
ProcessResult run_launcher_on_fd5(const std::vector<std::string>& env) {
    return run_process({"/bin/sh", "-c", "exec \"$0\" 5>&1 >/dev/null", launcher_path()}, env);
}

Observation launch_body(const LaunchBody& body, PreparedLaunch&& fds) {
    return launch_frame(encode_frame(body), std::move(fds.grants));
}

// Five runs of the same refused launch: the same verdict every time (determinism).
template <class Make>
Observation refused_five_times(Make make_launch, RefusalReason reason, const std::string& marker) {
    Observation first;
    for (int run = 0; run < 5; ++run) {
        INFO("run " << run);
        Observation o = make_launch();
        expect_refused(o, reason, marker);
        if (run == 0) first = o;
        CHECK(o.detail == first.detail);
        CHECK(o.states == first.states);
    }
    return first;
}

} // namespace

TEST_CASE("happy path: /bin/true runs, states in order, a distinct child, exit 0",
          "[launcher][contract]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    for (int run = 0; run < 5; ++run) {
        PlanBuilder b;
        b.exe("/bin/true").argv({"true"}).env("PATH", "/usr/bin");
        Launch l(make_request(b.build(), as(who)));
        pid_t launcher_pid = l.pid();
        Observation o = l.finish();
        INFO(show(o));
        std::vector<S> expected = {S::LauncherStarted,
                                   S::IdentityVerified,
                                   S::PlanVerified,
                                   S::HandlesVerified,
                                   S::ChildCreated,
                                   S::IdentityPhaseResolved,
                                   S::VisibilityPhaseResolved,
                                   S::AmbientAuthorityPhaseResolved,
                                   S::ConfinementPhaseResolved,
                                   S::ReadyToExec,
                                   S::ExecSucceeded};
        CHECK(o.states == expected);
        REQUIRE(o.child_pid.has_value());
        CHECK(*o.child_pid > 0);
        CHECK(*o.child_pid != launcher_pid);
        CHECK(o.transcript.find("errno=") == std::string::npos);
        CHECK(o.workload.has_value());
        CHECK(o.workload->exited);
        CHECK(o.workload->code == 0);
        CHECK(o.launcher.code == 0);
        CHECK(o.unknown_lines.empty());
        CHECK(o.transcript.back() == '\n');
        CHECK(o.transcript.substr(o.transcript.size() - 14) == "ExecSucceeded\n");
    }
}

TEST_CASE("the transcript is exactly the documented success sequence", "[launcher][contract]") {
    PlanBuilder b;
    b.exe("/bin/true").argv({"true"});
    Observation o = launch(b.build());
    REQUIRE(o.child_pid.has_value());
    std::string expected =
        "LauncherStarted\nIdentityVerified\nPlanVerified\nHandlesVerified\nChildCreated\n"
        "# mechanism=clone3 child_pid=" +
        std::to_string(*o.child_pid) +
        "\n# workload exit=0\nIdentityPhaseResolved\nVisibilityPhaseResolved\n"
        "AmbientAuthorityPhaseResolved\n# confinement=NotRequired installed=false\n"
        "ConfinementPhaseResolved\nReadyToExec\nExecSucceeded\n";
    CHECK(o.transcript == expected);
}

TEST_CASE("refused: an unknown primitive (MissingPrimitive)", "[launcher][refusal]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    Marked m;
    Observation o = refused_five_times(
        [&] {
            PreparedLaunch p = m.plan();
            LoweringEntry old;
            old.id = "linux.landlock.v1";
            old.phase_code = 4;
            p.body.lowering.insert(p.body.lowering.begin() + 1, old);
            p.body.bind_lowering();
            LaunchBody body = p.body;
            return launch_frame(encode_frame(body), std::move(p.grants), as(who));
        },
        RefusalReason::MissingPrimitive, m.marker);
    CHECK_THAT(o.detail, ContainsSubstring("linux.landlock.v1"));
    CHECK(o.states == std::vector<S>{S::LauncherStarted, S::IdentityVerified, S::SetupRefused});
}

TEST_CASE("refused: no exec entry (MissingPrimitive), no scrub entry (PlanInvalid)",
          "[launcher][refusal]") {
    Marked m;
    {
        PreparedLaunch p = m.plan();
        p.body.lowering = {LoweringEntry::scrub()};
        p.body.bind_lowering();
        LaunchBody body = p.body;
        expect_refused(launch_body(body, std::move(p)), RefusalReason::MissingPrimitive, m.marker);
    }
    {
        PreparedLaunch p = m.plan();
        p.body.lowering = {LoweringEntry::exec()};
        p.body.bind_lowering();
        LaunchBody body = p.body;
        Observation o = launch_body(body, std::move(p));
        expect_refused(o, RefusalReason::PlanInvalid, m.marker);
        CHECK_THAT(o.detail, ContainsSubstring("no scrub entry"));
    }
}

TEST_CASE("refused: a directory where a Regular exe is declared (HandleMismatch)",
          "[launcher][refusal]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    Marked m;
    Observation o = refused_five_times(
        [&] {
            PlanBuilder b = shell("touch " + m.marker);
            b.exe_fd(UniqueFd(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)));
            return launch(b.build(), as(who));
        },
        RefusalReason::HandleMismatch, m.marker);
    CHECK_THAT(o.detail, ContainsSubstring(
                             "slot 10 (TargetExe): declared Regular, but fd 10 is a directory"));
    CHECK(o.states.back() == S::SetupRefused);
    CHECK(o.has_state(S::PlanVerified));
    CHECK_FALSE(o.has_state(S::HandlesVerified));
}

TEST_CASE("refused: a declared fd that is not open (HandleMismatch, check 9)",
          "[launcher][refusal]") {
    Marked m;
    Observation o = refused_five_times(
        [&] {
            PreparedLaunch p = m.plan();
            p.body.descriptor_table.push_back(DescriptorSlot{40, Role::Stdin, Kind::Pipe, false});
            LaunchBody body = p.body;
            return launch_body(body, std::move(p));
        },
        RefusalReason::HandleMismatch, m.marker);
    CHECK_THAT(o.detail, ContainsSubstring("slot 40 (Stdin): fd 40 is not open"));
}

TEST_CASE("refused: writability that does not match the fd", "[launcher][refusal]") {
    Marked m;
    PreparedLaunch p = m.plan();
    p.body.descriptor_table[0].writable = true; // the exe is open read-only
    LaunchBody body = p.body;
    Observation o = launch_body(body, std::move(p));
    expect_refused(o, RefusalReason::HandleMismatch, m.marker);
    CHECK_THAT(o.detail, ContainsSubstring("declared writable=true"));
}

TEST_CASE("refused: bad magic, bad digest, truncated frame (PlanInvalid)", "[launcher][refusal]") {
    Marked m;
    for (int variant = 0; variant < 4; ++variant) {
        PreparedLaunch p = m.plan();
        Bytes frame = encode_frame(p.body);
        std::string want;
        switch (variant) {
        case 0:
            frame[0] ^= 0xff;
            want = "bad magic";
            break;
        case 1:
            frame.back() ^= 0x01;
            want = "BLAKE3 digest";
            break;
        case 2:
            frame.resize(30);
            want = "shorter than the 46-byte header";
            break;
        default:
            frame[8] = 2;
            want = "unsupported protocol version 2";
            break;
        }
        INFO("variant " << variant);
        Observation o = refused_five_times(
            [&] {
                PreparedLaunch fresh = m.plan();
                return launch_frame(frame, std::move(fresh.grants));
            },
            RefusalReason::PlanInvalid, m.marker);
        CHECK_THAT(o.detail, ContainsSubstring(want));
        CHECK(o.states == std::vector<S>{S::LauncherStarted, S::SetupRefused});
    }
}

TEST_CASE("refused: a non-canonical body, resealed so the frame is valid (PlanInvalid)",
          "[launcher][refusal]") {
    Marked m;
    Observation o = refused_five_times(
        [&] {
            PreparedLaunch p = m.plan();
            MpValue v = body_value(p.body);
            v.at("descriptor_table").items[0].at("slot_index").width = 1; // cc 0a instead of 0a
            return launch_frame(frame(mp_encode(v)), std::move(p.grants));
        },
        RefusalReason::PlanInvalid, m.marker);
    CHECK_THAT(o.detail, ContainsSubstring("non-canonical"));
    CHECK_THAT(o.detail, ContainsSubstring("descriptor_table[0].slot_index"));
}

TEST_CASE("refused: h_l that does not bind the lowering (IdentityMismatch)",
          "[launcher][refusal]") {
    Marked m;
    Observation o = refused_five_times(
        [&] {
            PreparedLaunch p = m.plan();
            p.body.h_l[5] ^= 0x40;
            LaunchBody body = p.body;
            return launch_body(body, std::move(p));
        },
        RefusalReason::IdentityMismatch, m.marker);
    CHECK(o.states == std::vector<S>{S::LauncherStarted, S::SetupRefused});
}

TEST_CASE("refused: a duplicate slot and other table errors (PlanInvalid)", "[launcher][refusal]") {
    Marked m;
    {
        Observation o = refused_five_times(
            [&] {
                PreparedLaunch p = m.plan();
                p.body.descriptor_table.push_back(
                    DescriptorSlot{10, Role::Stdin, Kind::Regular, false});
                LaunchBody body = p.body;
                return launch_body(body, std::move(p));
            },
            RefusalReason::PlanInvalid, m.marker);
        CHECK_THAT(o.detail, ContainsSubstring("duplicate slot_index 10"));
    }
    {
        PreparedLaunch p = m.plan();
        p.body.descriptor_table.push_back(DescriptorSlot{11, Role::Stdin, Kind::Socket, false});
        LaunchBody body = p.body;
        Observation o = launch_body(body, std::move(p));
        expect_refused(o, RefusalReason::PlanInvalid, m.marker);
        CHECK_THAT(o.detail, ContainsSubstring("control channel fd"));
    }
}

TEST_CASE("refused: bad targets (PlanInvalid, check 8)", "[launcher][refusal]") {
    Marked m;
    for (int variant = 0; variant < 5; ++variant) {
        PreparedLaunch p = m.plan();
        TargetSpec& t = p.body.target;
        switch (variant) {
        case 0:
            t.argv.clear();
            break;
        case 1:
            t.argv.push_back(std::string("a\0b", 3));
            break;
        case 2:
            t.envp.push_back({"A=B", "c"});
            break;
        case 3:
            t.network_namespace = true;
            break;
        default:
            t.exe_slot = 11;
            break;
        }
        LaunchBody body = p.body;
        INFO("variant " << variant);
        expect_refused(launch_body(body, std::move(p)), RefusalReason::PlanInvalid, m.marker);
    }
}

TEST_CASE("refused: a plan over the 4 MiB cap (check 1)", "[launcher][refusal]") {
    Marked m;
    PreparedLaunch p = m.plan();
    p.body.target.argv.resize(40, std::string(120000, 'a')); // ~4.8 MB
    LaunchBody body = p.body;
    Observation o = launch_body(body, std::move(p));
    expect_refused(o, RefusalReason::PlanInvalid, m.marker);
    CHECK_THAT(o.detail, ContainsSubstring("4194304"));
}

TEST_CASE("refused: too many strings, or one too long, for the limits (PlanInvalid, check 8)",
          "[launcher][refusal]") {
    Marked m;
    {
        PreparedLaunch p = m.plan();
        p.body.target.envp.clear();
        p.body.target.argv.resize(65537, "x");
        LaunchBody body = p.body;
        Observation o = launch_body(body, std::move(p));
        expect_refused(o, RefusalReason::PlanInvalid, m.marker);
        CHECK_THAT(o.detail, ContainsSubstring("too many argv + envp strings (65537)"));
    }
    {
        PreparedLaunch p = m.plan();
        p.body.target.envp.push_back({"BIG", std::string(131073, 'v')});
        LaunchBody body = p.body;
        Observation o = launch_body(body, std::move(p));
        expect_refused(o, RefusalReason::PlanInvalid, m.marker);
        CHECK_THAT(o.detail, ContainsSubstring("string too long (131073 bytes)"));
    }
}

TEST_CASE("a plan read from a pipe works (any readable fd)", "[launcher][contract]") {
    PlanBuilder b;
    b.exe("/bin/true").argv({"true"});
    PreparedLaunch p = b.build();
    Bytes frame = encode_frame(p.body);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], frame.data(), frame.size()) == static_cast<ssize_t>(frame.size()));
    ::close(fds[1]);
    LaunchOptions opts;
    opts.plan_fd = fds[0];
    Observation o = launch(std::move(p), std::move(opts));
    ::close(fds[0]);
    CHECK(o.terminal == S::ExecSucceeded);
}

TEST_CASE("faults: missing or malformed fd env vars, in order PLAN, ERROR, ERROR_READ",
          "[launcher][fault]") {
    struct Case {
        std::vector<std::string> env;
        std::string name;
    };
    for (const auto& c : std::vector<Case>{
             {{"BVISOR_CONTROL_FD=5"}, "BVISOR_LAUNCH_PLAN_FD"},
             {{"BVISOR_CONTROL_FD=5", "BVISOR_LAUNCH_PLAN_FD=x"}, "BVISOR_LAUNCH_PLAN_FD"},
             {{"BVISOR_CONTROL_FD=5", "BVISOR_LAUNCH_PLAN_FD=13", "BVISOR_ERROR_READ_FD=14"},
              "BVISOR_ERROR_FD"},
             {{"BVISOR_CONTROL_FD=5", "BVISOR_LAUNCH_PLAN_FD=13", "BVISOR_ERROR_FD=12",
               "BVISOR_ERROR_READ_FD=-1"},
              "BVISOR_ERROR_READ_FD"}}) {
        auto r = run_launcher_on_fd5(c.env);
        INFO(r.out);
        CHECK(r.exit_code == 4);
        CHECK(r.out == "LauncherStarted\nSetupFaulted\n# fault: missing or malformed fd env var " +
                           c.name + "\n");
        CHECK(r.err.empty());
    }
}

TEST_CASE("fault: an unreadable plan fd is an OS fault with its errno", "[launcher][fault]") {
    auto r = run_launcher_on_fd5({"BVISOR_CONTROL_FD=5", "BVISOR_LAUNCH_PLAN_FD=77",
                                  "BVISOR_ERROR_FD=12", "BVISOR_ERROR_READ_FD=14"});
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.out, ContainsSubstring("SetupFaulted\n# fault: launcher OS fault: read plan: "));
    CHECK_THAT(r.out, ContainsSubstring("(os error 9)\n"));
}

TEST_CASE("fault: a control or plan fd in 0-2 is refused before anything runs, so the "
          "workload can never inherit the transcript channel",
          "[launcher][fault]") {
    TempDir dir("stdio");
    std::string marker = dir / "ran";
    // The control channel on fd 1 (stdout): what a host that reused stdout would pass.
    auto c = run_process({launcher_path()}, {"BVISOR_CONTROL_FD=1", "BVISOR_LAUNCH_PLAN_FD=13",
                                             "BVISOR_ERROR_FD=12", "BVISOR_ERROR_READ_FD=14"});
    CHECK(c.exit_code == 4);
    CHECK(c.out == "LauncherStarted\nSetupFaulted\n# fault: control channel fd 1 is one of the "
                   "workload's stdio fds (0-2)\n");
    // The plan on fd 0, with a valid plan there: still a fault, and nothing runs.
    Bytes frame = encode_frame(shell("touch " + marker).build().body);
    auto p = run_process({"/bin/sh", "-c", "exec \"$0\" 5>&1 >/dev/null", launcher_path()},
                         {"BVISOR_CONTROL_FD=5", "BVISOR_LAUNCH_PLAN_FD=0", "BVISOR_ERROR_FD=12",
                          "BVISOR_ERROR_READ_FD=14"},
                         std::string(frame.begin(), frame.end()));
    CHECK(p.exit_code == 4);
    CHECK(p.out ==
          "LauncherStarted\nSetupFaulted\n# fault: plan fd 0 is one of the workload's stdio fds "
          "(0-2)\n");
    CHECK_FALSE(file_exists(marker));
    // Control: the same frame on fd 8 is read and checked (here: refused for its missing
    // exe fd, which shows the plan was read).
    auto ok = run_process({"/bin/sh", "-c", "exec \"$0\" 5>&1 8<&0 >/dev/null", launcher_path()},
                          {"BVISOR_CONTROL_FD=5", "BVISOR_LAUNCH_PLAN_FD=8", "BVISOR_ERROR_FD=12",
                           "BVISOR_ERROR_READ_FD=14"},
                          std::string(frame.begin(), frame.end()));
    CHECK(ok.exit_code == 3);
    CHECK_THAT(ok.out, ContainsSubstring("PlanVerified\n"));
}
