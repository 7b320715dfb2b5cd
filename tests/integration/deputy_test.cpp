// bvisor-run as a deputy (issue 19 F02, F03, F10, F11): what it opens and writes on the
// workload's behalf, outside the sandbox and often as root, must never be steered by
// what the workload (or another run, or another user) puts at those paths. Judged by
// the disk (where a file landed, what a victim file holds), by bounded time (a hang is
// a failure, never a wait), and by the output on the terminal's place (a pipe here).
// As root and as uid 65534, each with its control.
//
//   * --json-status PATH in a write root: the workload replaces it with a symlink to a
//     victim, or with a fifo; a fifo or a symlink planted there before the run;
//   * --json-status-fd 1 or 2: the workload's own output still arrives;
//   * PROGRAM a fifo with the x bit, or a device: refused at once, nothing blocks;
//   * the private TMPDIR: granted by the descriptor bvisor-run made, so a symlink put in
//     place of its name changes nothing; as root, a base another uid may write is
//     refused.
// The same paths under a racing attacker, thousands of times: race_harness_test.cpp.
#include "../support/env.hpp"
#include "../support/kernel.hpp"
#include "../support/launch.hpp"
#include "../support/process.hpp"
#include "../support/tools.hpp"

#include "bvisor/tmpdir.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using namespace std::chrono_literals;

namespace {

constexpr auto kBound = 20s;

// bvisor-run ARGS as `who`, bounded.
ProcessResult run_bounded(const Who& who, std::vector<std::string> args,
                          const std::vector<std::string>& env = {}) {
    return run_process(bvisor_run_argv(std::move(args), who.unprivileged), user_env(env), "",
                       kBound);
}

// A directory `who` may write (a write root), and a victim file `who` may also write,
// outside every root: were the deputy steered there, it would be overwritten.
struct Setup {
    TempDir dir{"deputy"};
    std::string work, victim;
    explicit Setup(const Who& who) : work(dir.mkdir("work")) {
        give_to(who, work);
        std::string elsewhere = dir.mkdir("elsewhere");
        give_to(who, elsewhere);
        victim = elsewhere + "/victim";
        write_file(victim, "VICTIM-CONTENT\n", 0666);
        give_to(who, victim);
    }
};

} // namespace

TEST_CASE("deputy: a --json-status file the workload replaces with a symlink or a fifo is "
          "written where it was opened, and nothing else is touched",
          "[deputy]") {
    Who who = BOTH_IDENTITIES;
    std::string swap = GENERATE(std::string("symlink"), std::string("fifo"));
    INFO(who.name() << ", replaced by a " << swap);
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Setup s(who);
    std::string status = s.work + "/status.json";
    std::string plant = swap == "symlink" ? "ln -s " + s.victim + " " + status + ".new"
                                          : "mkfifo " + status + ".new";
    // The natural setup: the status beside the work, in the workload's write root.
    auto r = run_bounded(who, {"--rw", s.work, "--json-status", status, "--", "/bin/sh", "-c",
                               plant + " && mv -f " + status + ".new " + status});
    INFO(r.err);
    CHECK_FALSE(r.timed_out); // a fifo never blocks the write
    CHECK(r.exit_code == 0);
    CHECK(read_file(s.victim) == "VICTIM-CONTENT\n"); // the disk: the victim untouched
    CHECK_THAT(r.err, ContainsSubstring("the file was replaced during the run"));
    // Control: left alone, the same run writes the status there.
    auto c = run_bounded(
        who, {"--rw", s.work, "--json-status", s.work + "/plain.json", "--", "/bin/true"});
    CHECK(c.exit_code == 0);
    auto j = nlohmann::json::parse(read_file(s.work + "/plain.json"));
    CHECK(j["workload"]["exit"] == 0);
}

TEST_CASE("deputy: a fifo or a symlink planted at the --json-status path before the run is "
          "refused at once, and nothing runs",
          "[deputy]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Setup s(who);
    std::string fifo = s.work + "/fifo.json", link = s.work + "/link.json";
    REQUIRE(::mkfifo(fifo.c_str(), 0666) == 0);
    REQUIRE(::chmod(fifo.c_str(), 0666) == 0); // whatever the umask: the identity may open it
    REQUIRE(::symlink(s.victim.c_str(), link.c_str()) == 0);
    std::string marker = s.work + "/ran";
    for (const auto& [path, why] : {std::pair{fifo, "not a regular file"},
                                    std::pair{link, "a symbolic link (never followed)"}}) {
        INFO(path);
        auto r =
            run_bounded(who, {"--rw", s.work, "--json-status", path, "--", "/bin/touch", marker});
        CHECK_FALSE(r.timed_out);
        CHECK(r.exit_code == 125);
        CHECK_THAT(r.err, ContainsSubstring("--json-status " + path + ": " + why));
        CHECK_FALSE(file_exists(marker)); // nothing ran
    }
    CHECK(read_file(s.victim) == "VICTIM-CONTENT\n");
}

TEST_CASE("deputy: --json-status-fd 1 or 2 leaves the workload that stdout or stderr", "[deputy]") {
    Who who = BOTH_IDENTITIES;
    int fd = GENERATE(1, 2);
    INFO(who.name() << ", fd " << fd);
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    auto r = run_bounded(who, {"--json-status-fd", std::to_string(fd), "--", "/bin/sh", "-c",
                               "echo out-line; echo err-line >&2"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    // Ground truth: what arrived on the pipes, the workload's lines first, then the status.
    std::string& with_status = fd == 1 ? r.out : r.err;
    CHECK_THAT(r.out, Catch::Matchers::StartsWith("out-line\n"));
    CHECK_THAT(r.err, Catch::Matchers::StartsWith("err-line\n"));
    auto j = nlohmann::json::parse(with_status.substr(with_status.find('\n') + 1));
    CHECK(j["workload"]["exit"] == 0);
}

TEST_CASE("deputy: a PROGRAM that is a fifo with the x bit, or a device, is refused at once; "
          "nothing blocks",
          "[deputy]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Setup s(who);
    std::string fifo = s.work + "/tool", device = s.work + "/null";
    REQUIRE(::mkfifo(fifo.c_str(), 0777) == 0);
    REQUIRE(::chmod(fifo.c_str(), 0777) == 0);
    std::vector<std::string> programs = {fifo};
    if (running_as_root()) { // /dev/null itself has no x bit; this one has
        REQUIRE(::mknod(device.c_str(), S_IFCHR | 0777, makedev(1, 3)) == 0);
        REQUIRE(::chmod(device.c_str(), 0777) == 0);
        programs.push_back(device);
    }
    for (const std::string& program : programs) {
        INFO(program);
        auto r = run_bounded(who, {"--rw", s.work, "--", program});
        CHECK_FALSE(r.timed_out);
        CHECK(r.exit_code == 126);
        CHECK_THAT(r.err, ContainsSubstring(program + ": not a regular file"));
    }
    // Control: a regular program there runs.
    write_file(s.work + "/real", read_file("/bin/true"), 0755);
    give_to(who, s.work + "/real");
    CHECK(run_bounded(who, {"--rw", s.work, "--", s.work + "/real"}).exit_code == 0);
}

TEST_CASE("deputy: the private TMPDIR stays the directory bvisor-run made when its name is "
          "moved and replaced by a symlink, and removal never follows it",
          "[deputy][tmp]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Setup s(who);
    std::string base = s.dir.mkdir("base");
    give_to(who, base);
    // The workload has the base as a write root too (a concurrent run's view of it) and
    // puts a symlink to a victim directory in place of its own TMPDIR's name, then
    // writes through $TMPDIR, and bvisor-run then removes "the TMPDIR".
    std::string victim_dir = s.dir.mkdir("victim-dir");
    give_to(who, victim_dir);
    write_file(victim_dir + "/keep", "KEEP\n", 0666);
    std::string script = "t=$TMPDIR; mv $t $t.moved && ln -s " + victim_dir +
                         " $t && echo x > $t/through-link; echo y > $t.moved/in-own; "
                         "echo $t > " +
                         s.work + "/tmpdir";
    auto r = run_bounded(who, {"--rw", base, "--rw", s.work, "--", "/bin/sh", "-c", script},
                         {"TMPDIR=" + base});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // Ground truth: nothing was written in the victim through the link (it was not a
    // grant: the workload's write through it was denied), and the removal left it.
    CHECK_FALSE(file_exists(victim_dir + "/through-link"));
    CHECK(read_file(victim_dir + "/keep") == "KEEP\n");
    // The renamed directory is still bvisor-run's: it was emptied through its fd; its
    // new name is not removed (it is no longer the name bvisor-run made), and that is
    // said.
    std::string tmp = read_file(s.work + "/tmpdir");
    tmp.pop_back();
    CHECK_FALSE(file_exists(tmp + ".moved/in-own"));
    CHECK_THAT(r.err, ContainsSubstring("could not remove TMPDIR " + tmp));
}

TEST_CASE("deputy: as root, a TMPDIR base another uid may write is refused before anything "
          "runs; root's own base is used",
          "[deputy][tmp]") {
    if (!running_as_root()) SKIP("needs the tests to run as root");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("rootbase");
    std::string theirs = dir.mkdir("theirs", 0755), open_dir = dir.mkdir("open", 0777);
    REQUIRE(::chown(theirs.c_str(), kNobody, kNobody) == 0);
    REQUIRE(::chmod(open_dir.c_str(), 0777) == 0); // no sticky bit
    std::string marker = dir / "ran";
    for (const std::string& base : {theirs, open_dir}) {
        INFO(base);
        auto r = run_bounded(Who{false}, {"--rw", dir.path(), "--", "/bin/touch", marker},
                             {"TMPDIR=" + base});
        CHECK(r.exit_code == 125);
        CHECK_THAT(r.err, ContainsSubstring("another user may write it"));
        CHECK_FALSE(file_exists(marker));
    }
    // Control: a sticky world-writable base of root's (like /tmp) and root's own 0755 one.
    std::string sticky = dir.mkdir("sticky", 0777);
    REQUIRE(::chmod(sticky.c_str(), 01777) == 0);
    for (const std::string& base : {sticky, dir.mkdir("own", 0755)}) {
        auto r = run_bounded(Who{false}, {"--rw", dir.path(), "--", "/bin/touch", marker},
                             {"TMPDIR=" + base});
        CHECK(r.exit_code == 0);
        CHECK(file_exists(marker));
        ::unlink(marker.c_str());
    }
}
