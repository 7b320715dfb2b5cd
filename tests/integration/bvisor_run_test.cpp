// build/bin/bvisor-run end to end: confinement judged on disk, exit statuses (the
// workload's, 128+N, 125, 126, 127), --json-status, --dry-run accepted by
// bvisor-plan, clear errors for bad paths, and the options. Run as root and, where it
// matters, as uid 65534 (through setpriv, from copies in a 0755 directory).
#include "../support/env.hpp"
#include "../support/launch.hpp"
#include "../support/kernel.hpp"
#include "../support/process.hpp"
#include "../support/tools.hpp"

#include <nlohmann/json.hpp>

#include "bvisor/run_options.hpp"

#include <catch2/catch_test_macros.hpp>
#include <set>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <set>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;

TEST_CASE("bvisor-run: a read outside the roots is denied, a write inside lands", "[tools][run]") {
    bool unprivileged = GENERATE(false, true);
    INFO((unprivileged ? "as uid 65534" : "as root"));
    if (!unprivileged && !running_as_root())
        SKIP("the \"as root\" variant needs the tests to run as root");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("run");
    std::string data = dir.mkdir("data"), out = dir.mkdir("out");
    // Not root: the unprivileged run is our own uid, which owns out/ already.
    if (unprivileged && running_as_root()) REQUIRE(::chown(out.c_str(), kNobody, kNobody) == 0);
    write_file(data + "/in.txt", "INPUT");
    write_file(dir / "secret.txt", "TOP-SECRET");
    std::string script = "cat " + dir / "secret.txt" + " > " + out + "/leak; echo x > " +
                         dir / "escape" + "; cp " + data + "/in.txt " + out +
                         "/copy; echo finished";
    ProcessResult r =
        bvisor_run({"--ro", data, "--rw", out, "--", "sh", "-c", script}, unprivileged);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "finished\n");
    CHECK(read_file(out + "/leak").find("TOP-SECRET") == std::string::npos);
    CHECK_FALSE(file_exists(dir / "escape"));
    CHECK(read_file(out + "/copy") == "INPUT");
    CHECK_THAT(r.err, ContainsSubstring("Permission denied"));
    // Control: without bvisor-run the secret is readable.
    auto open = run_shell("cat " + dir / "secret.txt");
    CHECK(open.out == "TOP-SECRET");
}

TEST_CASE("bvisor-run: the workload's exit status and signals become bvisor-run's",
          "[tools][run]") {
    CHECK(bvisor_run({"--", "sh", "-c", "exit 0"}).exit_code == 0);
    CHECK(bvisor_run({"--", "sh", "-c", "exit 3"}).exit_code == 3);
    CHECK(bvisor_run({"--", "sh", "-c", "exit 255"}).exit_code == 255);
    CHECK(bvisor_run({"--", "sh", "-c", "kill -TERM $$"}).exit_code == 128 + SIGTERM);
    CHECK(bvisor_run({"--", "sh", "-c", "kill -KILL $$"}).exit_code == 128 + SIGKILL);
    auto r = bvisor_run({"--", "sh", "-c", "printf out; printf err >&2"});
    CHECK(r.out == "out");
    CHECK(r.err == "err"); // nothing of bvisor-run's own on a successful run
}

TEST_CASE("bvisor-run: stdin reaches the workload", "[tools][run]") {
    auto r = bvisor_run({"--", "cat"}, false, "piped input\n");
    CHECK(r.out == "piped input\n");
}

TEST_CASE("bvisor-run: a signal sent to bvisor-run reaches the workload", "[tools][run]") {
    std::string tool = run_tool();
    char* argv[] = {tool.data(), const_cast<char*>("--"), const_cast<char*>("sleep"),
                    const_cast<char*>("30"), nullptr};
    char env0[] = "PATH=/usr/bin:/bin";
    char* envp[] = {env0, nullptr};
    pid_t pid;
    REQUIRE(::posix_spawn(&pid, tool.c_str(), nullptr, nullptr, argv, envp) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ::kill(pid, SIGTERM);
    int status;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
}

TEST_CASE("bvisor-run: 127 when PROGRAM is not found, 126 when it cannot run", "[tools][run]") {
    auto nf = bvisor_run({"--", "no-such-program-anywhere"});
    CHECK(nf.exit_code == 127);
    CHECK(nf.err == "bvisor-run: no-such-program-anywhere: command not found\n");
    auto nf2 = bvisor_run({"--", "/no/such/file"});
    CHECK(nf2.exit_code == 127);
    CHECK_THAT(nf2.err, ContainsSubstring("/no/such/file: No such file or directory"));

    TempDir dir("noexec");
    write_file(dir / "script", "#!/bin/sh\necho hi\n", 0644);
    auto ne = bvisor_run({"--", dir / "script"});
    CHECK(ne.exit_code == 126);
    CHECK_THAT(ne.err, ContainsSubstring("script: Permission denied"));
    auto d = bvisor_run({"--", dir.path()});
    CHECK(d.exit_code == 126);
    CHECK_THAT(d.err, ContainsSubstring("is a directory"));
}

TEST_CASE("bvisor-run: 126 when PROGRAM cannot be executed inside the sandbox", "[tools][run]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    // Without the system roots the dynamic loader is out of reach: execve fails.
    auto r = bvisor_run({"--no-system-roots", "--", "/usr/bin/true"});
    CHECK(r.exit_code == 126);
    CHECK(lines(r.err) == 1);
    CHECK_THAT(r.err, StartsWith("bvisor-run: cannot execute /usr/bin/true: "));
}

TEST_CASE(
    "bvisor-run: 125 with the reason and detail on one line when the launcher refuses or faults",
    "[tools][run]") {
    TempDir dir("fault");
    std::string fake = dir.mkdir("not-a-cgroup");
    auto f = bvisor_run({"--cgroup", fake, "--", "true"});
    CHECK(f.exit_code == 125);
    CHECK(lines(f.err) == 1);
    CHECK_THAT(f.err, StartsWith("bvisor-run: launch failed: launcher OS fault: clone3: "));

    auto nl = run_process({tool_path("bvisor-test-probe"), "no-landlock", run_tool(), "--ro",
                           dir.path(), "--", "true"},
                          {"PATH=/usr/bin:/bin"});
    CHECK(nl.exit_code == 125);
    CHECK(lines(nl.err) == 1);
    CHECK_THAT(nl.err,
               StartsWith("bvisor-run: refused (MissingPrimitive): Landlock is not available"));
    CHECK_THAT(nl.err, ContainsSubstring("Linux 5.13"));
}

TEST_CASE("bvisor-run on Landlock ABI 2 (Linux 6.1) runs, truncate(2) closed by seccomp; "
          "--landlock-min-abi 3 refuses naming both ABIs",
          "[tools][run]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp user notification unavailable");
    TempDir dir("abi2");
    std::string out = dir.mkdir("out"), status = dir / "status.json";
    write_file(out + "/f", "0123456789");
    // The probe answers the launcher's ABI query with 2, as Debian 12's 6.1 kernel does.
    auto r = run_process({tool_path("bvisor-test-probe"), "landlock-abi", "2", run_tool(),
                          "--json-status", status, "--rw", out, "--", "/usr/bin/python3", "-c",
                          "import os, sys; os.truncate(sys.argv[1], 0)", out + "/f"},
                         {"PATH=/usr/bin:/bin"});
    CHECK(r.exit_code == 1); // truncate(2) by path: PermissionError
    CHECK_THAT(r.err, ContainsSubstring("Permission denied"));
    CHECK(read_file(out + "/f") == "0123456789"); // the disk: not truncated
    auto j = nlohmann::json::parse(read_file(status));
    CHECK(j["landlock"]["abi"] == "2");
    CHECK(j["landlock"]["truncate"] == "seccomp");
    CHECK(j["landlock"]["handled"] == "0x3fff");
    CHECK(j["landlock"]["scopes"] == "unavailable");
    // Control: a write through an open fd inside the write root still works there.
    auto w = run_process({tool_path("bvisor-test-probe"), "landlock-abi", "2", run_tool(), "--rw",
                          out, "--", "/bin/sh", "-c", "echo new > " + out + "/f"},
                         {"PATH=/usr/bin:/bin"});
    CHECK(w.exit_code == 0);
    CHECK(read_file(out + "/f") == "new\n");

    auto strict = run_process({tool_path("bvisor-test-probe"), "landlock-abi", "2", run_tool(),
                               "--landlock-min-abi", "3", "--", "true"},
                              {"PATH=/usr/bin:/bin"});
    CHECK(strict.exit_code == 125);
    CHECK(lines(strict.err) == 1);
    CHECK_THAT(strict.err,
               StartsWith("bvisor-run: refused (MissingPrimitive): Landlock: this kernel has "
                          "Landlock ABI 2, below the plan's landlock_min_abi 3"));
    CHECK_THAT(strict.err, ContainsSubstring("ABI 3 is Linux 6.2"));
    // Control: the same kernel satisfies a minimum of 2.
    auto ok = run_process({tool_path("bvisor-test-probe"), "landlock-abi", "2", run_tool(),
                           "--landlock-min-abi", "2", "--", "true"},
                          {"PATH=/usr/bin:/bin"});
    CHECK(ok.exit_code == 0);
}

TEST_CASE("bvisor-run: unknown or unreadable paths are named before anything runs",
          "[tools][run]") {
    TempDir dir("paths");
    std::string marker = dir / "ran";
    auto r = bvisor_run({"--ro", "/no/such/dir", "--", "touch", marker});
    CHECK(r.exit_code == 125);
    CHECK(r.err == "bvisor-run: --ro /no/such/dir: No such file or directory\n");
    auto w = bvisor_run({"--rw", dir / "missing", "--", "touch", marker});
    CHECK(w.exit_code == 125);
    CHECK_THAT(w.err, ContainsSubstring("--rw " + dir / "missing" + ": No such file or directory"));
    // A root is a directory, a file or a character device; nothing else.
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0644) == 0);
    auto f = bvisor_run({"--ro", dir / "fifo", "--", "touch", marker});
    CHECK(f.exit_code == 125);
    CHECK(f.err ==
          "bvisor-run: --ro " + dir / "fifo" + ": not a directory, file or character device\n");
    write_file(dir / "file", "x");
    auto d = bvisor_run({"--dev", dir / "file", "--", "touch", marker});
    CHECK(d.exit_code == 125);
    CHECK(d.err == "bvisor-run: --dev " + dir / "file" + ": not a character device\n");
    if (running_as_root()) {
        // A block device would expose a whole disk past every root: never granted.
        REQUIRE(::mknod((dir / "blk").c_str(), S_IFBLK | 0600, makedev(7, 0)) == 0);
        auto b = bvisor_run({"--rw", dir / "blk", "--", "touch", marker});
        CHECK(b.exit_code == 125);
        CHECK_THAT(b.err, ContainsSubstring("a block device is never granted"));
    }
    if (running_as_root()) {
        std::string locked = dir.mkdir("locked", 0700);
        auto u = bvisor_run({"--ro", locked, "--", "touch", marker}, true);
        CHECK(u.exit_code == 125);
        CHECK(u.err == "bvisor-run: --ro " + locked + ": Permission denied\n");
    }
    CHECK_FALSE(file_exists(marker));
    auto o = bvisor_run({"--frobnicate", "--", "true"});
    CHECK(o.exit_code == 125);
    CHECK_THAT(o.err, ContainsSubstring("unknown option --frobnicate"));
    CHECK(bvisor_run({}).exit_code == 125);
}

TEST_CASE("bvisor-run --json-status: one object with every fact, null when absent",
          "[tools][run]") {
    TempDir dir("json");
    std::string path = dir / "status.json";
    auto ok = bvisor_run({"--json-status", path, "--", "sh", "-c", "exit 4"});
    CHECK(ok.exit_code == 4);
    auto ordered = nlohmann::ordered_json::parse(read_file(path));
    std::vector<std::string> keys;
    for (auto it = ordered.begin(); it != ordered.end(); ++it)
        keys.push_back(it.key());
    auto j = nlohmann::json::parse(read_file(path));
    CHECK(keys == std::vector<std::string>{"terminal", "refusal", "detail", "fault",
                                           "confinement_installed", "workload", "launcher_exit",
                                           "landlock", "hardening", "network"});
    CHECK(j["terminal"] == "ExecSucceeded");
    CHECK(j["refusal"].is_null());
    CHECK(j["detail"].is_null());
    CHECK(j["fault"].is_null());
    CHECK(j["confinement_installed"] == landlock_usable());
    CHECK(j["workload"] == nlohmann::json{{"exit", 4}});
    CHECK(j["launcher_exit"] == 0);

    auto sig = bvisor_run({"--json-status", path, "--", "sh", "-c", "kill -USR1 $$"});
    CHECK(nlohmann::json::parse(read_file(path))["workload"] ==
          nlohmann::json{{"signal", SIGUSR1}});

    std::string fake = dir.mkdir("nocg");
    bvisor_run({"--json-status", path, "--cgroup", fake, "--", "true"});
    auto f = nlohmann::json::parse(read_file(path));
    CHECK(f["terminal"] == "SetupFaulted");
    CHECK(f["workload"].is_null());
    CHECK(f["launcher_exit"] == 4);
    CHECK_THAT(f["fault"].get<std::string>(), ContainsSubstring("clone3"));

    // --json-status-fd: the object goes to an fd bvisor-run inherited (here, stdout).
    std::string tool = run_tool();
    auto fd = run_process({"/bin/sh", "-c", tool + " --json-status-fd 3 -- true 3>&1 >/dev/null"},
                          {"PATH=/usr/bin:/bin"});
    auto s = nlohmann::json::parse(fd.out);
    CHECK(s["terminal"] == "ExecSucceeded");
    CHECK(lines(fd.out) == 1);
}

TEST_CASE("bvisor-run --json-status when nothing was launched: every fact null", "[tools][run]") {
    TempDir dir("jsonnull");
    std::string path = dir / "status.json";
    auto r = bvisor_run({"--json-status", path, "--ro", "/no/such/dir", "--", "true"});
    CHECK(r.exit_code == 125);
    auto j = nlohmann::json::parse(read_file(path));
    for (const char* key : {"terminal", "refusal", "detail", "fault", "confinement_installed",
                            "workload", "launcher_exit", "landlock", "hardening"}) {
        INFO(key);
        CHECK(j.contains(key));
        CHECK(j[key].is_null());
    }
    auto nf = bvisor_run({"--json-status", path, "--", "no-such-program-anywhere"});
    CHECK(nf.exit_code == 127);
    CHECK(nlohmann::json::parse(read_file(path))["terminal"].is_null());
}

TEST_CASE("bvisor-run --json-status for a refusal", "[tools][run]") {
    TempDir dir("jsonref");
    std::string path = dir / "status.json";
    auto r = run_process({tool_path("bvisor-test-probe"), "no-landlock", run_tool(),
                          "--json-status", path, "--", "true"},
                         {"PATH=/usr/bin:/bin"});
    CHECK(r.exit_code == 125);
    auto j = nlohmann::json::parse(read_file(path));
    CHECK(j["terminal"] == "SetupRefused");
    CHECK(j["refusal"] == "MissingPrimitive");
    CHECK_THAT(j["detail"].get<std::string>(), ContainsSubstring("Landlock"));
    CHECK(j["workload"].is_null());
    CHECK(j["confinement_installed"].is_null());
    CHECK(j["launcher_exit"] == 3);
}

TEST_CASE("bvisor-run --dry-run prints a plan that bvisor-plan encodes and verifies",
          "[tools][run]") {
    TempDir dir("dry");
    std::string data = dir.mkdir("data"), out = dir.mkdir("out");
    std::string marker = dir / "ran";
    auto d = bvisor_run({"--dry-run", "--ro", data, "--rw", out, "--deny-fork", "--no-network",
                         "--env", "A=b", "--", "touch", marker});
    CHECK(d.exit_code == 0);
    CHECK(lines(d.out) == 1);
    CHECK_FALSE(file_exists(marker)); // nothing ran
    CHECK_THAT(d.err, ContainsSubstring("slot 15 = " + data));
    CHECK_THAT(d.err, ContainsSubstring("slot 16 = " + out));
    auto e = run_process({tool_path("bvisor-plan"), "encode"}, {}, d.out);
    REQUIRE(e.exit_code == 0);
    auto v = run_process({tool_path("bvisor-plan"), "verify"}, {}, e.out);
    CHECK(v.exit_code == 0);
    auto j = nlohmann::json::parse(d.out);
    CHECK(j["target"]["argv"] == nlohmann::json{"touch", marker});
    CHECK(j["target"]["envp"] ==
          nlohmann::json::array({nlohmann::json::array({"PATH", "/usr/local/bin:/usr/bin:/bin"}),
                                 nlohmann::json::array({"A", "b"})}));
    CHECK(j["target"]["seccomp"] ==
          nlohmann::json{{"deny_new_tasks", true}, {"deny_inet_sockets", false}});
    CHECK(j["target"].contains("user_namespace"));
    CHECK(j["target"].contains("network_namespace"));
    CHECK(j["h_a"] == std::string(64, '0'));
    // attempt_id is random per run; plan_id is the same for the same command.
    auto d2 = bvisor_run({"--dry-run", "--ro", data, "--rw", out, "--deny-fork", "--no-network",
                          "--env", "A=b", "--", "touch", marker});
    auto j2 = nlohmann::json::parse(d2.out);
    CHECK(j2["attempt_id"] != j["attempt_id"]);
    CHECK(j2["plan_id"] == j["plan_id"]);
}

TEST_CASE("bvisor-run: the environment is PATH only, plus --env and --inherit-env",
          "[tools][run]") {
    auto r = run_process({run_tool(), "--no-tmp", "--env", "GREETING=hello world", "--inherit-env",
                          "HOME", "--inherit-env", "NOPE", "--", "env"},
                         {"PATH=/usr/bin:/bin", "HOME=/home/someone", "SECRET_TOKEN=xyz"});
    CHECK(r.out == "PATH=/usr/local/bin:/usr/bin:/bin\nGREETING=hello world\nHOME=/home/someone\n");
    CHECK_THAT(r.err, ContainsSubstring("--inherit-env NOPE: not set"));
    auto p = bvisor_run({"--no-tmp", "--env", "PATH=/bin", "--", "env"});
    CHECK(p.out == "PATH=/bin\n");
    // By default the private TMPDIR is the one addition; a TMPDIR of your own wins.
    auto t = bvisor_run({"--env", "PATH=/bin", "--", "env"});
    CHECK_THAT(t.out, StartsWith("PATH=/bin\nTMPDIR=/tmp/bvisor-"));
    CHECK(lines(t.out) == 2);
    auto own = bvisor_run({"--env", "TMPDIR=/var/tmp", "--", "env"});
    CHECK_THAT(own.out, ContainsSubstring("TMPDIR=/var/tmp\n"));
    CHECK(lines(own.out) == 2);
}

TEST_CASE("bvisor-run: PROGRAM outside every root gets itself as a read root, never its "
          "directory",
          "[tools][run]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("outside");
    std::string bin = dir.mkdir("bin");
    write_file(bin + "/mytrue", read_file("/usr/bin/true"), 0755);
    auto r = bvisor_run({"--", bin + "/mytrue"});
    CHECK(r.exit_code == 0);
    auto d = bvisor_run({"--dry-run", "--", bin + "/mytrue"});
    CHECK_THAT(d.err, ContainsSubstring("= " + bin + "/mytrue\n"));
    CHECK_THAT(d.err, !ContainsSubstring("= " + bin + "\n"));
    // Found through PATH, like a shell.
    auto p = run_process({run_tool(), "--", "mytrue"}, {"PATH=" + bin + ":/usr/bin"});
    CHECK(p.exit_code == 0);
}

TEST_CASE("bvisor-run: a PROGRAM directly in /tmp gets neither /tmp nor anything in it but "
          "itself (issue 19 F08)",
          "[tools][run]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    // Beside it in /tmp: what another run or user keeps there (a Kerberos cache, another
    // run's private TMPDIR). The program, a script, tries to read it.
    std::string tag = std::to_string(::getpid()) + (who.unprivileged ? "-u" : "-r");
    std::string secret = "/tmp/bvisor-f08-secret-" + tag, prog = "/tmp/bvisor-f08-prog-" + tag;
    write_file(secret, "SECRET\n", 0644);
    write_file(prog, "#!/bin/sh\ncat " + secret + "\n", 0755);
    struct Cleanup {
        std::string a, b;
        ~Cleanup() {
            ::unlink(a.c_str());
            ::unlink(b.c_str());
        }
    } cleanup{secret, prog};
    auto r = bvisor_run({"--", prog}, who.unprivileged);
    INFO(r.out << r.err);
    CHECK(r.out.empty()); // ground truth: nothing of the secret came out
    CHECK_THAT(r.err, ContainsSubstring("Permission denied"));
    // Control: granted /tmp, the same script reads it.
    auto c = bvisor_run({"--ro", "/tmp", "--", prog}, who.unprivileged);
    CHECK(c.out == "SECRET\n");
}

TEST_CASE("bvisor-run: seccomp, namespace and cgroup options reach the launch", "[tools][run]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    std::string probe = reachable_copy(tool_path("bvisor-test-probe"));
    CHECK(bvisor_run({"--deny-fork", "--", probe, "fork"}).out ==
          "fork=EPERM (Operation not permitted)\n");
    // --allow-net: the network policy would answer first (EACCES), its filter being the
    // later one.
    CHECK(bvisor_run({"--allow-net", "--deny-sockets", "--", probe, "socket", "inet"}).out ==
          "socket_inet=EPERM (Operation not permitted)\n");
    BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "unprivileged user namespaces disabled");
    CHECK(bvisor_run({"--userns", "--", "id", "-u"}, true).out == "0\n");
    // /proc as a read root: under Landlock it is otherwise unreadable.
    auto n = bvisor_run({"--no-network", "--ro", "/proc", "--", "cat", "/proc/self/net/dev"}, true);
    CHECK(std::count(n.out.begin(), n.out.end(), ':') == 1); // one interface line: "lo:"
    CHECK_THAT(n.out, ContainsSubstring("lo:"));
    auto t = bvisor_run({"--transcript", "--", "true"});
    CHECK_THAT(t.err, StartsWith("LauncherStarted\n"));
    CHECK_THAT(t.err, ContainsSubstring("ExecSucceeded\n"));
}

TEST_CASE("bvisor-run --help, --version, and the man page cover the same options", "[tools][run]") {
    auto h = bvisor_run({"--help"});
    CHECK(h.exit_code == 0);
    CHECK_THAT(h.out, ContainsSubstring("the file itself (never its directory) is added"));
    CHECK_THAT(h.out, ContainsSubstring("Linux 5.13"));
    auto v = bvisor_run({"--version"});
    CHECK_THAT(v.out, StartsWith("bvisor-run 0."));
    std::string man = read_file(source_path("docs/bvisor-run.1.md"));
    // The options table is the one list: --help is generated from it, and every row has
    // help text and a man page entry; every option the man page documents is a row.
    std::set<std::string> rows;
    for (const auto& section : bvisor::run_option_sections()) {
        for (const auto& row : section.rows) {
            std::string opt = std::string("--") + row.key;
            INFO(opt);
            rows.insert(opt);
            CHECK(std::string(row.help).size() > 10);
            CHECK_THAT(h.out, ContainsSubstring("  " + opt + (row.metavar ? " " : "")));
            CHECK_THAT(man, ContainsSubstring("`" + opt + "`"));
        }
    }
    CHECK(rows.size() >= 27); // the options of 61738ee, none lost
    size_t options = man.find("## OPTIONS"), end = man.find("\n## ", options + 1);
    REQUIRE(options != std::string::npos);
    std::string body = man.substr(options, end - options);
    for (size_t at = 0; (at = body.find("`--", at)) != std::string::npos; ++at) {
        size_t stop = body.find_first_of(" `", at + 1);
        std::string opt = body.substr(at + 1, stop - at - 1);
        INFO("the man page documents " << opt);
        CHECK(rows.count(opt) == 1);
    }
    std::string troff = read_file(bin_dir() + "/../man/bvisor-run.1");
    CHECK_THAT(troff, StartsWith(".TH BVISOR-RUN 1"));
    CHECK_THAT(troff, ContainsSubstring("\\fB--no-network\\fR"));
}

TEST_CASE("bvisor-run: a #! script sees its own path, as when run directly", "[tools][run]") {
    bool unprivileged = GENERATE(false, true);
    INFO((unprivileged ? "as uid 65534" : "as root"));
    if (!unprivileged && !running_as_root())
        SKIP("the \"as root\" variant needs the tests to run as root");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("script");
    std::string proj = dir.mkdir("proj");
    // The common idiom: find a sibling file through "$0".
    write_file(proj + "/run.sh",
               "#!/bin/sh\n. \"$(dirname \"$0\")/lib.sh\"\necho \"0=$0 args=$* lib=$LIBV\"\n",
               0755);
    write_file(proj + "/lib.sh", "LIBV=loaded\n");
    // Its sibling is readable only where the user grants it: the script alone is
    // granted otherwise, never its directory.
    auto alone = bvisor_run({"--", proj + "/run.sh", "a", "b c"}, unprivileged);
    CHECK(alone.exit_code != 0);
    CHECK_THAT(alone.err, ContainsSubstring("lib.sh: Permission denied"));
    auto r = bvisor_run({"--ro", proj, "--", proj + "/run.sh", "a", "b c"}, unprivileged);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // Control: the same script run directly says the same.
    auto direct = run_process({proj + "/run.sh", "a", "b c"}, user_env());
    CHECK(direct.out == "0=" + proj + "/run.sh args=a b c lib=loaded\n");
    CHECK(r.out == direct.out);
    // With an interpreter argument, as the kernel splits it: one argument, trimmed.
    write_file(proj + "/args.sh", "#!/bin/sh -e  \necho \"$0|$1|$-\"\n", 0755);
    auto a = bvisor_run({"--ro", proj, "--", proj + "/args.sh", "x"}, unprivileged);
    CHECK(a.out == run_process({proj + "/args.sh", "x"}, user_env()).out);
    CHECK_THAT(a.out, StartsWith(proj + "/args.sh|x|"));
}
