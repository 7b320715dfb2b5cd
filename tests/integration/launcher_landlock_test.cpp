// The customer's seed scenario (upstream launcher_landlock_linux.rs), ported with its
// exact fd layout: exe /bin/sh at 10, control 11, error write 12, plan 13, error read
// 14, read root 15, write root 16, system exec roots from 20. The verdict is the disk,
// never the transcript: did the secret leak into the sink? did the escape file appear?
// did the in-root copy land? The transcript is asserted separately.
#include "../support/kernel.hpp"
#include "../support/launch.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;

namespace {

bool contains_marker(const std::string& path, const std::string& marker) {
    if (!file_exists(path)) return false;
    return read_file(path).find(marker) != std::string::npos;
}

struct Scratch {
    TempDir dir{"seed"};
    std::string quarantine, readable, secret, exfil, control_src, control_sink, escape;
    explicit Scratch(const Who& who) {
        quarantine = dir.mkdir("quarantine");
        give_to(who, quarantine);
        readable = dir.mkdir("readable");
        control_src = readable + "/inside.txt";
        write_file(control_src, "CONTROL-IN-ROOT-MARKER");
        secret = dir / "secret.key";
        write_file(secret, "TOPSECRET-LAUNCHER-G1");
        exfil = quarantine + "/exfil.txt";
        control_sink = quarantine + "/control.txt";
        escape = dir / "escape.txt";
    }
    std::string script() const {
        return "cat " + secret + " > " + exfil + " ; echo ESCAPED-LAUNCHER-G3 > " + escape +
               " ; cat " + control_src + " > " + control_sink;
    }
};

} // namespace

TEST_CASE("seed: landlock denies the secret read and the escape write, allows the in-root copy",
          "[launcher][landlock][seed]") {
    Who who = BOTH_IDENTITIES;
    {
        INFO(who.name());
        require_identity(who);
        BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
        for (int run = 0; run < 5; ++run) { // five runs: the same verdict every time
            INFO("run " << run);
            Scratch s(who);
            // Anti-vacuity: the secret is readable and the escape writable without confinement.
            CHECK(file_exists(s.secret));
            CHECK_FALSE(file_exists(s.escape));

            auto plan = shell(s.script())
                            .read_root(s.readable)
                            .write_root(s.quarantine)
                            .system_roots()
                            .build();
            REQUIRE(plan.body.descriptor_table.size() >= 4);
            CHECK(plan.body.descriptor_table[0].slot_index == 10);
            CHECK(plan.body.descriptor_table[1].slot_index == 15);
            CHECK(plan.body.descriptor_table[2].slot_index == 16);
            CHECK(plan.body.descriptor_table[3].slot_index == 20);
            Observation o = launch(std::move(plan), as(who));
            INFO(show(o));

            // Ground truth, from the disk.
            CHECK_FALSE(
                contains_marker(s.exfil, "TOPSECRET-LAUNCHER-G1")); // G1: the read was denied
            CHECK_FALSE(file_exists(s.escape));                     // G3: the write was denied
            CHECK(contains_marker(s.control_sink, "CONTROL-IN-ROOT-MARKER")); // control: allowed

            // The transcript, separately.
            CHECK(o.transcript.find("ConfinementPhaseResolved") != std::string::npos);
            CHECK(o.transcript.find("installed=true") != std::string::npos);
            CHECK(o.terminal == LauncherState::ExecSucceeded);
            CHECK(o.states.back() == LauncherState::ExecSucceeded);
            CHECK(o.confinement_installed == true);
            CHECK(o.outcome() == codec::OutcomeClass::Completed);
            CHECK(o.launcher.exited);
            CHECK(o.launcher.code == 0);
            // The shell's `cat` of the secret failed: Permission denied on stderr.
            CHECK(o.err.find("Permission denied") != std::string::npos);
        }
    }
}

TEST_CASE("seed: without the landlock entry the escape write lands (anti-vacuity)",
          "[launcher][landlock][seed]") {
    Who who = BOTH_IDENTITIES;
    {
        INFO(who.name());
        require_identity(who);
        for (int run = 0; run < 5; ++run) {
            INFO("run " << run);
            TempDir dir("novacuous");
            give_to(who, dir.path());
            std::string escape = dir / "escape.txt";
            auto plan = shell("echo ESCAPED-NOLANDLOCK-MARKER > " + escape).build();
            REQUIRE(plan.body.lowering.size() == 2); // scrub + exec only
            Observation o = launch(std::move(plan), as(who));
            INFO(show(o));
            CHECK(contains_marker(escape, "ESCAPED-NOLANDLOCK-MARKER"));
            CHECK(o.transcript.find("installed=false") != std::string::npos);
            CHECK(o.confinement_installed == false);
            CHECK(o.terminal == LauncherState::ExecSucceeded);
        }
    }
}

TEST_CASE("seed: the plan may come from an unsealed temporary file", "[launcher][landlock][seed]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Scratch s(Who{false});
    auto plan =
        shell(s.script()).read_root(s.readable).write_root(s.quarantine).system_roots().build();
    Bytes frame = encode_frame(plan.body);
    FILE* tmp = std::tmpfile();
    REQUIRE(tmp);
    REQUIRE(std::fwrite(frame.data(), 1, frame.size(), tmp) == frame.size());
    std::fflush(tmp);
    std::rewind(tmp);
    LaunchOptions opts;
    opts.plan_fd = fileno(tmp);
    Observation o = launch(std::move(plan), std::move(opts));
    std::fclose(tmp);
    INFO(show(o));
    CHECK_FALSE(contains_marker(s.exfil, "TOPSECRET-LAUNCHER-G1"));
    CHECK_FALSE(file_exists(s.escape));
    CHECK(contains_marker(s.control_sink, "CONTROL-IN-ROOT-MARKER"));
    CHECK(o.terminal == LauncherState::ExecSucceeded);
}

TEST_CASE("landlock: a write root allows create, truncate and delete; a read root allows none",
          "[launcher][landlock]") {
    Who who = BOTH_IDENTITIES;
    {
        INFO(who.name());
        require_identity(who);
        BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
        TempDir dir("ll");
        std::string ro = dir.mkdir("ro"), rw = dir.mkdir("rw");
        give_to(who, rw);
        write_file(ro + "/keep", "keep");
        write_file(rw + "/trunc", "0123456789");
        give_to(who, rw + "/trunc");
        write_file(rw + "/gone", "x");
        give_to(who, rw + "/gone");
        std::string script = ": > " + rw + "/trunc; rm " + rw + "/gone; mkdir " + rw +
                             "/sub; echo new > " + rw + "/sub/f; rm -f " + ro + "/keep; echo x > " +
                             ro + "/new; true";
        Observation o =
            launch(shell(script).read_root(ro).write_root(rw).system_roots().build(), as(who));
        INFO(show(o));
        CHECK(read_file(rw + "/trunc").empty());
        CHECK_FALSE(file_exists(rw + "/gone"));
        CHECK(read_file(rw + "/sub/f") == "new\n");
        CHECK(file_exists(ro + "/keep"));
        CHECK_FALSE(file_exists(ro + "/new"));
        CHECK(o.terminal == LauncherState::ExecSucceeded);
    }
}

TEST_CASE("landlock: the workload cannot read what it could read without it",
          "[launcher][landlock]") {
    Who who = BOTH_IDENTITIES;
    {
        INFO(who.name());
        require_identity(who);
        BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
        TempDir dir("llread");
        std::string ro = dir.mkdir("ro");
        write_file(dir / "outside", "OUTSIDE-SECRET");
        std::string script = "cat " + dir / "outside";
        // Control: unconfined, the same read succeeds.
        Observation open = launch(shell(script).build(), as(who));
        CHECK(open.out == "OUTSIDE-SECRET");
        Observation shut = launch(shell(script).read_root(ro).system_roots().build(), as(who));
        INFO(show(shut));
        CHECK(shut.out.empty());
        CHECK(shut.err.find("Permission denied") != std::string::npos);
        CHECK(shut.workload.has_value());
        CHECK(shut.workload->code != 0);
        CHECK(shut.terminal == LauncherState::ExecSucceeded);
    }
}

TEST_CASE("landlock: roots and the exe may be O_PATH descriptors", "[launcher][landlock]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("opath");
    std::string ro = dir.mkdir("ro"), rw = dir.mkdir("rw");
    write_file(ro + "/in", "O_PATH-ROOT");
    PreparedLaunch p = shell("cat " + ro + "/in > " + rw + "/out").system_roots().build();
    // Replace the exe and add both roots as O_PATH fds.
    for (auto& g : p.grants)
        if (g.slot == 10) g.fd = UniqueFd(::open("/bin/sh", O_PATH | O_CLOEXEC));
    p.grants.push_back(Grant{15, UniqueFd(::open(ro.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC))});
    p.grants.push_back(Grant{16, UniqueFd(::open(rw.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC))});
    p.body.descriptor_table.push_back(DescriptorSlot{15, Role::ReadRoot, Kind::Directory, false});
    p.body.descriptor_table.push_back(DescriptorSlot{16, Role::WriteRoot, Kind::Directory, false});
    LaunchBody body = p.body;
    Observation o = launch_frame(encode_frame(body), std::move(p.grants));
    INFO(show(o));
    CHECK(o.terminal == LauncherState::ExecSucceeded);
    CHECK(read_file(rw + "/out") == "O_PATH-ROOT");
    CHECK(o.confinement_installed == true);
}

TEST_CASE("landlock: a #! script runs confined (its interpreter reads it through /dev/fd)",
          "[launcher][landlock]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("llscript");
    std::string ro = dir.mkdir("ro"), rw = dir.mkdir("rw");
    give_to(who, rw);
    write_file(ro + "/job.sh",
               "#!/bin/sh\necho from-script > " + rw + "/out\ncat " + dir / "secret" + "\n", 0755);
    write_file(dir / "secret", "SCRIPT-SECRET");
    PlanBuilder b;
    b.exe(ro + "/job.sh")
        .argv({"job.sh"})
        .env("PATH", "/usr/bin:/bin")
        .read_root(ro)
        .write_root(rw)
        .system_roots();
    Observation o = launch(b.build(), as(who));
    INFO(show(o));
    CHECK(o.terminal == LauncherState::ExecSucceeded);
    CHECK(read_file(rw + "/out") == "from-script\n");
    CHECK(o.out.find("SCRIPT-SECRET") == std::string::npos);
}
