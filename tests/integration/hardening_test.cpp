// The hardening defaults (docs/PROTOCOL.md section 11.2, docs/SECURITY.md): each escape
// that lives around Landlock, tried for real, as root and as uid 65534, with its
// control. The verdict is ground truth: the shell's next input line and a marker file
// for terminal injection; the disk (a device node, an xattr, a mode) for capabilities;
// a marker process's life for signals; a listener's accept count for abstract sockets;
// a file the workload could only have written with the caller's key; /proc/<pid> of
// the running workload, read by the test, for capabilities and sessions.
#include "../support/env.hpp"
#include "../support/kernel.hpp"
#include "../support/launch.hpp"
#include "../support/process.hpp"
#include "../support/pty.hpp"
#include "../support/tools.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <thread>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using S = LauncherState;

namespace {

// The value of `key` ("CapEff:") in /proc/<pid>/status, or "".
std::string status_field(long pid, const std::string& key) {
    std::istringstream in(proc_file(pid, "status"));
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key, 0) == 0) return line.substr(line.find_first_not_of(" \t", key.size()));
    return "";
}

// Fields 6 (session) and 7 (tty_nr) of /proc/<pid>/stat.
std::pair<long, long> session_and_tty(long pid) {
    std::string stat = proc_file(pid, "stat");
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string state;
    long ppid, pgrp, session, tty;
    rest >> state >> ppid >> pgrp >> session >> tty;
    return {session, tty};
}

// A process running `argv` as root or uid 65534, in process group `pgid` (0: its own
// new group), stdio on /dev/null. Returns its pid.
pid_t spawn_as(const std::vector<std::string>& argv, bool unprivileged, pid_t pgid = 0) {
    std::vector<std::string> args = argv;
    std::vector<char*> cargs;
    for (auto& a : args)
        cargs.push_back(a.data());
    cargs.push_back(nullptr);
    bool drop = unprivileged && running_as_root();
    std::vector<std::string> env = user_env();
    std::vector<char*> envp;
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::setpgid(0, pgid) != 0) ::_exit(120);
        int null = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; ++fd)
            ::dup2(null, fd);
        if (drop && !become_nobody()) ::_exit(121);
        ::execve(cargs[0], cargs.data(), envp.data());
        ::_exit(127);
    }
    // Both sides set the group, so that it exists when this returns whichever runs
    // first (EACCES: the child has exec'd, so it already did).
    (void)::setpgid(pid, pgid == 0 ? pid : pgid);
    return pid;
}

// The wait status of `pid` once it ends (bounded: 30 s, then it is killed).
int wait_for_end(pid_t pid) {
    int status = 0;
    for (int i = 0; i < 3000; ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) return status;
        ::usleep(10000);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL("process " << pid << " did not end within 30 s");
    return status;
}

// A marker process of the identity: alive until killed. Reaped by the destructor.
struct Marker {
    pid_t pid;
    explicit Marker(bool unprivileged, pid_t pgid = 0)
        : pid(spawn_as({"/bin/sleep", "1000"}, unprivileged, pgid)) {}
    ~Marker() {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    // Dead (a zombie counts as dead: it is ours to reap) or alive, from the kernel.
    bool alive() const {
        int status;
        if (::waitpid(pid, &status, WNOHANG) == pid) return false;
        std::string stat = proc_file(pid, "stat");
        return !stat.empty() && stat[stat.rfind(')') + 2] != 'Z';
    }
};

// A listener on the abstract unix socket @name, counting accepted connections.
class AbstractListener {
public:
    explicit AbstractListener(const std::string& name) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path + 1, name.data(), name.size());
        auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        thread_ = std::thread([this] {
            for (;;) {
                int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0) return;
                ++accepted_;
                ::close(c);
            }
        });
    }
    ~AbstractListener() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    int accepted() const { return accepted_; }

private:
    int fd_ = -1;
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

struct Scratch {
    TempDir dir{"harden"};
    std::string out;
    explicit Scratch(bool unprivileged) : out(dir.mkdir("out")) {
        if (unprivileged && running_as_root()) {
            REQUIRE(::chown(out.c_str(), kNobody, kNobody) == 0);
        }
    }
};

void require_root_identity(bool unprivileged) {
    if (!unprivileged && !running_as_root())
        SKIP("the \"as root\" variant needs the tests to run as root");
}

} // namespace

TEST_CASE("hardening: no capabilities, no caller session, no terminal, read from /proc by the "
          "host; an unconfined plan keeps upstream's behaviour",
          "[hardening]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Who who = BOTH_IDENTITIES;
    bool userns = GENERATE(false, true);
    INFO(who.name() << (userns ? " in a user namespace" : ""));
    require_identity(who);
    if (userns) BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "user namespaces disabled");
    TempDir dir("caps");
    std::string go = dir / "go", ready = dir / "ready";
    std::string script = "touch " + ready + "; while [ ! -e " + go + " ]; do sleep 0.01; done";
    PlanBuilder b = shell(script);
    b.read_root(dir.path()).write_root(dir.path()).system_roots();
    if (userns) b.user_namespace();
    give_to(who, dir.path());
    Launch l(make_request(b.build(), as(who)));
    long pid = child_pid(l);
    REQUIRE(eventually([&] { return file_exists(ready); }));
    for (const char* key : {"CapInh:", "CapPrm:", "CapEff:", "CapAmb:"}) {
        INFO(key);
        CHECK(status_field(pid, key) == "0000000000000000");
    }
    // The bounding set needs CAP_SETPCAP to change: root has it, and so has uid 0 in a
    // user namespace. uid 65534 outside one has no capability to use it with, and
    // no_new_privs keeps exec from granting any (docs/SECURITY.md).
    bool bounding = !who.unprivileged || userns;
    CHECK((status_field(pid, "CapBnd:") == "0000000000000000") == bounding);
    CHECK(status_field(pid, "NoNewPrivs:") == "1");
    auto [session, tty] = session_and_tty(pid);
    CHECK(session == pid); // its own session: no controlling terminal, not our group
    CHECK(tty == 0);
    write_file(go, "");
    Observation o = l.finish();
    INFO(show(o));
    CHECK(o.terminal == S::ExecSucceeded);
    CHECK(o.has_note(std::string("hardening session=new keyring=fresh capabilities=dropped ") +
                     (bounding ? "bounding=dropped" : "bounding=kept") + " tty_ioctl=denied"));

    // Control: an unconfined plan (scrub + exec, upstream's) keeps the caller's session
    // and, as root, every capability.
    ::unlink(ready.c_str());
    ::unlink(go.c_str());
    Launch u(make_request(shell(script).build(), as(who)));
    long upid = child_pid(u);
    REQUIRE(eventually([&] { return file_exists(ready); }));
    if (!who.unprivileged) CHECK(status_field(upid, "CapEff:") != "0000000000000000");
    CHECK(session_and_tty(upid).first == ::getsid(0));
    write_file(go, "");
    Observation uo = u.finish();
    CHECK(uo.terminal == S::ExecSucceeded);
    CHECK_FALSE(uo.has_note("hardening"));
}

TEST_CASE("hardening: a root workload keeps exactly the capabilities the plan keeps",
          "[hardening]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    if (!running_as_root()) SKIP("keeping a capability needs a root workload");
    TempDir dir("keep");
    std::string go = dir / "go", ready = dir / "ready";
    constexpr uint64_t kNetBindService = uint64_t{1} << 10;
    Launch l(
        make_request(shell("touch " + ready + "; while [ ! -e " + go + " ]; do sleep 0.01; done")
                         .read_root(dir.path())
                         .write_root(dir.path())
                         .system_roots()
                         .keep_capabilities(kNetBindService)
                         .build()));
    long pid = child_pid(l);
    REQUIRE(eventually([&] { return file_exists(ready); }));
    CHECK(status_field(pid, "CapEff:") == "0000000000000400");
    CHECK(status_field(pid, "CapPrm:") == "0000000000000400");
    CHECK(status_field(pid, "CapBnd:") == "0000000000000400");
    CHECK(status_field(pid, "CapInh:") == "0000000000000000");
    write_file(go, "");
    Observation o = l.finish();
    CHECK(o.has_note("hardening session=new keyring=fresh capabilities=dropped keep=10 "
                     "bounding=dropped"));
}

TEST_CASE("hardening: terminal injection (TIOCSTI) from the sandbox never reaches the "
          "caller's shell; the same program outside it does",
          "[hardening][tty]") {
    bool unprivileged = GENERATE(false, true);
    INFO((unprivileged ? "as uid 65534" : "as root"));
    require_root_identity(unprivileged);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    // Without root, the control injection needs the kernel's legacy TIOCSTI (Linux 6.2+
    // can switch it off; then the kernel itself already refuses it to us).
    if (unprivileged) {
        // Before Linux 6.2 there is no switch: legacy TIOCSTI is always on.
        std::string legacy = "/proc/sys/dev/tty/legacy_tiocsti";
        BVISOR_REQUIRE_KERNEL_FEATURE(!file_exists(legacy) || read_file(legacy) != "0\n",
                                      "dev.tty.legacy_tiocsti=0: unprivileged TIOCSTI is off");
    }
    Scratch s(unprivileged);
    std::string probe = probe_path(), run = run_tool();
    InteractiveShell sh(unprivileged, user_env({"PS1=$ ", "ENV="}));
    REQUIRE(sh.wait_for("$ "));

    struct Attempt {
        std::string how;
        std::string prefix; // how the probe is run from the shell
    };
    std::vector<Attempt> attempts = {
        {"through bvisor-run", run + " --rw " + s.out + " -- "},
        // Root keeps CAP_SYS_ADMIN (which permits TIOCSTI on any tty): only the seccomp
        // filter stands in the way, with the request as the kernel reads it and with
        // bit 32 set (the kernel ignores it; the filter must too).
        {"with CAP_SYS_ADMIN kept", run + " --keep-cap sys_admin --rw " + s.out + " -- "},
    };
    for (const auto& a : attempts) {
        for (const char* action : {"tiocsti", "tiocsti-wide"}) {
            INFO(a.how << ", " << action);
            std::string marker = s.out + "/pwned-" + std::to_string(&a - attempts.data()) + action;
            size_t from = sh.output().size();
            sh.type(a.prefix + probe + " " + action + " 'touch " + marker + "'; echo END\"-ONE\"");
            REQUIRE(sh.wait_for("END-ONE\r\n", from));
            // The shell's next input line: what we type now, unless something was pushed.
            // (The quotes keep the typed line itself, which the terminal echoes, from
            // matching what the shell prints.)
            size_t next = sh.output().size();
            sh.type("echo END\"-TWO\"");
            REQUIRE(sh.wait_for("END-TWO\r\n", next));
            CHECK_FALSE(file_exists(marker));
            // Pushed bytes are echoed as typed input: the typed line holds the text only
            // inside quotes, so the text alone on a line is what a push would show.
            CHECK(sh.output().find("touch " + marker + "\r\n", from) == std::string::npos);
        }
    }
    // Control: the same probe run by the shell itself pushes a line the shell then runs.
    std::string marker = s.out + "/pwned-control";
    size_t from = sh.output().size();
    sh.type(probe + " tiocsti 'touch " + marker + "'; echo END\"-ONE\"");
    REQUIRE(sh.wait_for("END-ONE\r\n", from));
    size_t next = sh.output().size();
    sh.type("echo END\"-TWO\"");
    REQUIRE(sh.wait_for("END-TWO\r\n", next));
    CHECK(file_exists(marker));
    CHECK(sh.output().find("touch " + marker + "\r\n", from) != std::string::npos);
}

TEST_CASE("hardening: in its own session the workload still gets Ctrl-C and window resizes "
          "from the terminal, through bvisor-run",
          "[hardening][tty]") {
    bool unprivileged = GENERATE(false, true);
    INFO((unprivileged ? "as uid 65534" : "as root"));
    require_root_identity(unprivileged);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Scratch s(unprivileged);
    InteractiveShell sh(unprivileged, user_env({"PS1=$ ", "ENV="}));
    REQUIRE(sh.wait_for("$ "));
    // The workload has no controlling terminal, so the terminal's own signals go to
    // bvisor-run (the foreground process group), which forwards them.
    std::string script = "trap 'touch " + s.out + "/winch' WINCH; trap 'touch " + s.out +
                         "/int; exit 3' INT; touch " + s.out +
                         "/ready; while :; do sleep 0.05; done";
    size_t from = sh.output().size();
    sh.type(run_tool() + " --rw " + s.out + " -- /bin/sh -c \"" + script + "\"; echo \"rc=\"$?");
    REQUIRE(eventually([&] { return file_exists(s.out + "/ready"); }));
    sh.resize(40, 100);
    CHECK(eventually([&] { return file_exists(s.out + "/winch"); }));
    sh.interrupt();
    CHECK(eventually([&] { return file_exists(s.out + "/int"); }));
    CHECK(sh.wait_for("rc=3\r\n", from)); // the workload's own exit status came back
}

TEST_CASE("hardening: a root workload cannot mknod a device, plant a file capability or "
          "chmod another user's file; each works when the plan keeps its capability",
          "[hardening][caps]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    // These are root's attacks: uid 65534 never holds these capabilities, in the init
    // user namespace, with or without the sandbox.
    if (!running_as_root()) SKIP("root's capabilities need a root workload");
    Scratch s(false);
    std::string probe = probe_path();
    TempDir outside("outside");
    std::string bin = outside / "tool", theirs = outside / "theirs";
    write_file(bin, "#!/bin/sh\n", 0755);
    write_file(theirs, "not yours\n", 0600);
    REQUIRE(::chown(theirs.c_str(), kNobody, kNobody) == 0);

    auto run = [&](std::vector<std::string> keep, std::vector<std::string> action) {
        std::vector<std::string> args;
        for (const auto& k : keep) {
            args.push_back("--keep-cap");
            args.push_back(k);
        }
        args.insert(args.end(), {"--rw", s.out, "--", probe});
        args.insert(args.end(), action.begin(), action.end());
        return bvisor_run(args);
    };
    auto is_char_device = [](const std::string& p) {
        struct stat st;
        return ::lstat(p.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
    };
    auto has_fcap = [](const std::string& p) {
        return ::getxattr(p.c_str(), "security.capability", nullptr, 0) > 0;
    };
    auto mode_of = [](const std::string& p) {
        struct stat st;
        return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0u;
    };

    auto m = run({}, {"mknod", s.out + "/null"});
    INFO(m.out << m.err);
    CHECK(m.exit_code == 1);
    CHECK_FALSE(file_exists(s.out + "/null"));
    CHECK(run({"mknod"}, {"mknod", s.out + "/null2"}).exit_code == 0); // control
    CHECK(is_char_device(s.out + "/null2"));

    auto c = run({}, {"setcap", bin}); // outside every root: Landlock does not see xattrs
    INFO(c.out << c.err);
    CHECK(c.exit_code == 1);
    CHECK_FALSE(has_fcap(bin));
    CHECK(run({"setfcap"}, {"setcap", bin}).exit_code == 0); // control
    CHECK(has_fcap(bin));

    auto h = run({}, {"chmod", theirs, "666"});
    INFO(h.out << h.err);
    CHECK(h.exit_code == 1);
    CHECK(mode_of(theirs) == 0600);
    CHECK(run({"fowner"}, {"chmod", theirs, "666"}).exit_code == 0); // control
    CHECK(mode_of(theirs) == 0666);
}

TEST_CASE("hardening: the workload cannot signal a process of its own uid outside "
          "(Landlock's signal scope, ABI 6)",
          "[hardening][signals][scopes]") {
    bool unprivileged = GENERATE(false, true);
    INFO((unprivileged ? "as uid 65534" : "as root"));
    require_root_identity(unprivileged);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_scopes_available(),
                                  "Landlock ABI " << landlock_abi() << " has no scopes (6)");
    std::string probe = probe_path();
    Marker m(unprivileged);
    auto r = bvisor_run({"--", probe, "kill", std::to_string(m.pid), "15"}, unprivileged);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    ::usleep(100000);
    CHECK(m.alive());
    // Control: the same kill with the relaxation reaches it.
    auto ok = bvisor_run({"--allow-signals", "--", probe, "kill", std::to_string(m.pid), "15"},
                         unprivileged);
    CHECK(ok.exit_code == 0);
    CHECK(eventually([&] { return !m.alive(); }));
}

TEST_CASE("hardening: kill(0) from the workload hits only its own new process group, not its "
          "caller's",
          "[hardening][signals]") {
    bool unprivileged = GENERATE(false, true);
    INFO((unprivileged ? "as uid 65534" : "as root"));
    require_root_identity(unprivileged);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    std::string probe = probe_path();
    // The marker leads a group; bvisor-run runs inside that same group, as a caller's
    // pipeline would.
    Marker m(unprivileged);
    pid_t run =
        spawn_as(bvisor_run_argv({"--", probe, "kill", "0", "9"}, unprivileged), false, m.pid);
    int status = wait_for_end(run);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGKILL); // the workload killed itself only
    ::usleep(100000);
    CHECK(m.alive());
    // Control: the probe run in that group without the sandbox kills the marker.
    pid_t direct = spawn_as({probe, "kill", "0", "9"}, unprivileged, m.pid);
    (void)wait_for_end(direct);
    CHECK(eventually([&] { return !m.alive(); }));
}

TEST_CASE("hardening: abstract unix sockets outside are unreachable (Landlock scope, ABI 6)",
          "[hardening][scopes]") {
    bool unprivileged = GENERATE(false, true);
    INFO((unprivileged ? "as uid 65534" : "as root"));
    require_root_identity(unprivileged);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_scopes_available(),
                                  "Landlock ABI " << landlock_abi() << " has no scopes (6)");
    std::string name = "bvisor-test-" + std::to_string(::getpid()) + (unprivileged ? "-u" : "-r");
    AbstractListener listener(name);
    std::string probe = probe_path();
    auto r = bvisor_run({"--", probe, "connect-abstract", name}, unprivileged);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    ::usleep(100000);
    CHECK(listener.accepted() == 0);
    // Control: with the relaxation the same connect reaches the listener.
    auto ok =
        bvisor_run({"--allow-abstract-unix", "--", probe, "connect-abstract", name}, unprivileged);
    CHECK(ok.exit_code == 0);
    CHECK(eventually([&] { return listener.accepted() == 1; }));
}

TEST_CASE("hardening: the caller's session keyring is not the workload's", "[hardening][keys]") {
    bool unprivileged = GENERATE(false, true);
    INFO((unprivileged ? "as uid 65534" : "as root"));
    require_root_identity(unprivileged);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Scratch s(unprivileged);
    std::string probe = probe_path(), run = run_tool();
    // The caller (the probe, as the identity) joins a keyring of its own, adds a key,
    // writes its id to a file, then runs a shell that inherits that session keyring and
    // reads the key, directly or through the sandbox. The key's payload can only reach
    // the out file through a process that could read it.
    std::string id = s.out + "/id";
    auto attempt = [&](const std::string& via, const std::string& out) {
        std::string script = via + probe + " key-read \"$(cat " + id + ")\" " + out;
        std::vector<std::string> argv = {probe, "key-add", "bvisor-test", "the-secret",
                                         id,    "/bin/sh", "-c",          script};
        if (unprivileged && running_as_root())
            argv.insert(argv.begin(),
                        {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
        return run_process(argv, user_env());
    };
    auto denied = attempt(run + " --rw " + s.out + " -- ", s.out + "/denied");
    INFO(denied.out << denied.err);
    CHECK(denied.exit_code == 1);
    CHECK_FALSE(file_exists(s.out + "/denied"));
    // Control: the same read outside the sandbox gets the caller's key.
    auto allowed = attempt("", s.out + "/allowed");
    CHECK(allowed.exit_code == 0);
    CHECK(read_file(s.out + "/allowed") == "the-secret");
}

TEST_CASE("hardening: the uid's user keyring and persistent keyring are not reachable from "
          "the fresh one (no keyctl, add_key, request_key)",
          "[hardening][keys]") {
    bool unprivileged = GENERATE(false, true);
    std::string which = GENERATE(std::string("user"), std::string("persistent"));
    INFO((unprivileged ? "as uid 65534" : "as root") << ", the " << which << " keyring");
    require_root_identity(unprivileged);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Scratch s(unprivileged);
    std::string probe = probe_path(), id = s.out + "/id";
    std::string desc = "bvisor-test-" + which + "-" + std::to_string(::getpid());
    auto as_identity = [&](std::vector<std::string> argv) {
        if (unprivileged && running_as_root())
            argv.insert(argv.begin(),
                        {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
        return run_process(argv, user_env());
    };
    // The caller's key: a Kerberos ticket or a token a login put in the uid's keyring.
    auto added = as_identity({probe, "key-add-" + which, desc, "the-secret", id});
    INFO(added.out);
    if (which == "persistent")
        BVISOR_REQUIRE_KERNEL_FEATURE(added.exit_code == 0,
                                      "persistent keyrings (CONFIG_PERSISTENT_KEYRINGS)");
    REQUIRE(added.exit_code == 0);
    struct Cleanup {
        std::function<void()> f;
        ~Cleanup() { f(); }
    } cleanup{[&] { as_identity({probe, "key-invalidate", read_file(id)}); }};

    auto denied = as_identity(bvisor_run_argv(
        {"--rw", s.out, "--", probe, "key-steal-" + which, desc, s.out + "/denied"}, false));
    INFO(denied.out << denied.err);
    CHECK(denied.exit_code == 1);
    CHECK_THAT(denied.out, ContainsSubstring("=EPERM"));
    CHECK_FALSE(file_exists(s.out + "/denied")); // ground truth: the payload never left
    // Control: the same program outside the sandbox copies the key out.
    auto allowed = as_identity({probe, "key-steal-" + which, desc, s.out + "/allowed"});
    INFO(allowed.out);
    CHECK(allowed.exit_code == 0);
    CHECK(read_file(s.out + "/allowed") == "the-secret");
}

TEST_CASE("hardening: what the workload leaves running is ended with it (its process group, "
          "a new session, a survivor's own child); an unconfined plan leaves it",
          "[hardening][survivors]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    std::string tag = "40.19" + std::to_string(::getpid());
    std::vector<std::string> tags = {tag + "1", tag + "2", tag + "3", tag + "4"};
    // In the background of its group; in a session of its own (setsid(1) forks, its
    // parent is gone: a double fork); and a survivor's child, which reaches the
    // launcher only once its parent has been ended.
    // Their stdio is /dev/null: nothing holds the test's pipes open.
    std::string script = "exec </dev/null >/dev/null 2>&1; /bin/sleep " + tags[0] +
                         " & (/usr/bin/setsid /bin/sleep " + tags[1] + " &); (/bin/sleep " +
                         tags[2] + " & exec /bin/sleep " + tags[3] + ") & /bin/sleep 0.2";
    auto running = [&] {
        int n = 0;
        for (const auto& t : tags)
            n += static_cast<int>(sleeps_with(t).size());
        return n;
    };
    PlanBuilder b = shell(script);
    b.system_roots().write_root("/dev/null");
    Observation o = launch(b.build(), as(who));
    INFO(show(o));
    CHECK(o.terminal == S::ExecSucceeded);
    CHECK(running() == 0); // ground truth: /proc, the moment the launcher has exited
    CHECK(o.has_note("survivors ended=4"));
    // The workload first tries to keep the launcher from listing its children (no fds
    // left to open the list with); prlimit on another process fails, and the list was
    // opened before the workload existed anyway.
    std::string lowered = "exec </dev/null >/dev/null 2>&1; /usr/bin/prlimit --pid $PPID "
                          "--nofile=0:0 || touch /dev/null/x; (/usr/bin/setsid /bin/sleep " +
                          tags[1] + " &); /bin/sleep 0.2";
    PlanBuilder lb = shell(lowered);
    lb.system_roots().write_root("/dev/null");
    Observation lo = launch(lb.build(), as(who));
    INFO(show(lo));
    CHECK(lo.terminal == S::ExecSucceeded);
    CHECK(running() == 0);
    CHECK(lo.has_note("survivors ended=1"));
    // Control: upstream's unconfined plan leaves all four running (ended here by tag).
    Observation u = launch(shell(script).build(), as(who));
    CHECK(u.terminal == S::ExecSucceeded);
    CHECK(running() == 4);
    CHECK_FALSE(u.has_note("survivors"));
    for (const auto& t : tags)
        for (long pid : sleeps_with(t))
            ::kill(static_cast<pid_t>(pid), SIGKILL);
    CHECK(eventually([&] { return running() == 0; }));
}

TEST_CASE("hardening: the transcript and --json-status say what was applied", "[hardening]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("notes");
    std::string status = dir / "status.json";
    auto r = bvisor_run({"--transcript", "--json-status", status, "--", "true"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, ContainsSubstring("\n# hardening session=new keyring=fresh "
                                        "capabilities=dropped bounding="));
    auto j = nlohmann::json::parse(read_file(status));
    CHECK(j["hardening"]["session"] == "new");
    CHECK(j["hardening"]["keyring"] == "fresh");
    CHECK(j["hardening"]["capabilities"] == "dropped");
    CHECK(j["hardening"]["tty_ioctl"] == "denied");
    CHECK(j["landlock"]["abi"] == std::to_string(landlock_abi()));
    if (landlock_scopes_available()) {
        CHECK_THAT(r.err, ContainsSubstring("\n# landlock scopes=abstract_unix,signal\n"));
        CHECK(j["landlock"]["scopes"] == "abstract_unix,signal");
        auto relaxed = bvisor_run({"--transcript", "--allow-signals", "--", "true"});
        CHECK_THAT(relaxed.err, ContainsSubstring("\n# landlock scopes=abstract_unix\n"));
    } else {
        CHECK_THAT(r.err, ContainsSubstring("\n# landlock scopes=unavailable abi="));
    }
    // An unconfined plan (upstream's behaviour) gets no hardening and says none.
    Observation u = launch(shell("true").build());
    CHECK(u.terminal == S::ExecSucceeded);
    CHECK_FALSE(u.has_note("hardening"));
    CHECK_FALSE(u.has_note("landlock"));
}

TEST_CASE("hardening: --strict refuses a kernel without Landlock scopes and names the ABI",
          "[hardening][scopes]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp user notification unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_scopes_available(),
                                  "Landlock ABI " << landlock_abi() << " has no scopes (6)");
    TempDir dir("strict");
    std::string marker = dir / "ran";
    // The probe answers the launcher's ABI query with 5 (Linux 6.10: no scopes).
    auto r = run_process({probe_path(), "landlock-abi", "5", run_tool(), "--strict", "--rw",
                          dir.path(), "--", "touch", marker},
                         user_env());
    CHECK(r.exit_code == 125);
    CHECK_THAT(r.err, ContainsSubstring("refused (MissingPrimitive): Landlock scopes"));
    CHECK_THAT(r.err, ContainsSubstring("this kernel has Landlock ABI 5, they need ABI 6"));
    CHECK_FALSE(file_exists(marker));
    // Without --strict the same kernel runs it and says the scopes are unavailable.
    auto lax = run_process({probe_path(), "landlock-abi", "5", run_tool(), "--transcript", "--rw",
                            dir.path(), "--", "touch", marker},
                           user_env());
    CHECK(lax.exit_code == 0);
    CHECK_THAT(lax.err, ContainsSubstring("# landlock scopes=unavailable abi=5"));
    CHECK(file_exists(marker));
    // Control: a kernel with scopes satisfies --strict.
    ::unlink(marker.c_str());
    auto ok = run_process({probe_path(), "landlock-abi", "6", run_tool(), "--strict", "--rw",
                           dir.path(), "--", "touch", marker},
                          user_env());
    CHECK(ok.exit_code == 0);
    CHECK(file_exists(marker));
}
