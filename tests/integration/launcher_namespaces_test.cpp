// User and network namespaces (PROTOCOL.md section 8; upstream
// userns_rendezvous_linux.rs and network_deny_all_linux.rs), as root and as uid
// 65534. As root the uid alone proves nothing, so the proof is /proc/self/uid_map:
// `0 <euid> 1` inside a new user namespace, `0 0 4294967295` outside.
#include "../support/kernel.hpp"
#include "../support/launch.hpp"
#include "../support/process.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using S = LauncherState;

namespace {

// Collapses runs of blanks: "         0       1000          1" -> "0 1000 1".
std::string squeeze(const std::string& s) {
    std::istringstream in(s);
    std::string out, word;
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::string joined;
        while (ls >> word)
            joined += (joined.empty() ? "" : " ") + word;
        out += joined + "\n";
    }
    return out;
}

const char* kIdsScript =
    "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups";

struct Listener {
    int fd = -1;
    int port = 0;
    Listener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd, 16) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~Listener() { ::close(fd); }
};

std::vector<std::string> interfaces(const std::string& net_dev) {
    std::vector<std::string> out;
    std::istringstream in(net_dev);
    std::string line;
    std::getline(in, line);
    std::getline(in, line); // two header lines
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        name.erase(0, name.find_first_not_of(' '));
        out.push_back(name);
    }
    return out;
}

} // namespace

TEST_CASE("userns: the workload is uid 0 / gid 0 inside, mapped to the launcher's ids",
          "[launcher][userns]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "unprivileged user namespaces disabled");
    // Dropped to 65534 only when the tests run as root; otherwise it is our own uid.
    std::string id = who.unprivileged && running_as_root() ? "65534" : std::to_string(::geteuid());
    for (int run = 0; run < 3; ++run) {
        Observation o = launch(shell(kIdsScript).user_namespace().build(), as(who));
        INFO(show(o));
        CHECK(squeeze(o.out) == "0\n0\n0 " + id + " 1\n0 " + id + " 1\ndeny\n");
        CHECK(o.has_note("user_namespace=mapped child_uid0_egid0"));
        CHECK(o.terminal == S::ExecSucceeded);
    }
}

TEST_CASE("userns off: the workload shares the launcher's user namespace", "[launcher][userns]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    // Dropped to 65534 only when the tests run as root; otherwise it is our own uid.
    std::string id = who.unprivileged && running_as_root() ? "65534" : std::to_string(::geteuid());
    Observation o = launch(shell(kIdsScript).build(), as(who));
    INFO(show(o));
    CHECK(squeeze(o.out) == id + "\n" + id + "\n0 0 4294967295\n0 0 4294967295\nallow\n");
    CHECK_FALSE(o.has_note("user_namespace"));
}

TEST_CASE("userns: a failed map write fails closed; the workload never runs",
          "[launcher][userns]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "unprivileged user namespaces disabled");
    TempDir dir("mapfail");
    give_to(who, dir.path());
    std::string marker = dir / "ran";
    LaunchOptions opts = as(who);
    opts.testhooks = true;
    opts.extra_env = {"BVISOR_TEST_FORCE_USERNS_MAP_FAIL=1"};
    Observation o = launch(shell("touch " + marker).user_namespace().build(), std::move(opts));
    INFO(show(o));
    CHECK_FALSE(file_exists(marker));
    CHECK(o.has_state(S::ChildCreated));
    CHECK_FALSE(o.has_state(S::ExecSucceeded));
    CHECK(o.terminal == S::SetupFaulted);
    CHECK(o.states.back() == S::SetupFaulted);
    CHECK(o.transcript.find("# user_namespace=map_write_failed fail_closed\nSetupFaulted\n") !=
          std::string::npos);
    CHECK(o.launcher.code == 4);
    CHECK(o.out.empty());
}

TEST_CASE("userns: the production launcher ignores the test hook", "[launcher][userns]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "unprivileged user namespaces disabled");
    TempDir dir("nohook");
    std::string marker = dir / "ran";
    LaunchOptions opts;
    opts.extra_env = {"BVISOR_TEST_FORCE_USERNS_MAP_FAIL=1"};
    Observation o = launch(shell("touch " + marker).user_namespace().build(), std::move(opts));
    CHECK(file_exists(marker));
    CHECK(o.terminal == S::ExecSucceeded);
    // No hook's name is even in the binary (launcher/testhooks.h lists them).
    for (const char* hook : {"BVISOR_TEST_FORCE_USERNS_MAP_FAIL", "BVISOR_TEST_WINDOW_PAUSE_MS",
                             "BVISOR_TEST_PAUSE_AFTER_REAP_MS", "BVISOR_TEST_STOP_AFTER_SETSID",
                             "BVISOR_TEST_PAUSE_BEFORE_CHILD_NOTE_MS"}) {
        INFO(hook);
        CHECK(read_file(launcher_path()).find(hook) == std::string::npos);
        CHECK(read_file(testhooks_launcher_path()).find(hook) != std::string::npos);
    }
}

TEST_CASE("netns without userns is refused (check 8)", "[launcher][netns]") {
    TempDir dir("netnouser");
    std::string marker = dir / "ran";
    PreparedLaunch p = shell("touch " + marker).network_namespace().build();
    LaunchBody body = p.body;
    Observation o = launch_frame(encode_frame(body), std::move(p.grants));
    CHECK(o.refusal == RefusalReason::PlanInvalid);
    CHECK_THAT(o.detail, ContainsSubstring("network_namespace requires user_namespace"));
    CHECK_FALSE(file_exists(marker));
}

TEST_CASE("netns: only lo, no routes, and the host's loopback listener is unreachable",
          "[launcher][netns]") {
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "unprivileged user namespaces disabled");
    Listener listener;
    std::string port = std::to_string(listener.port);

    Observation o = launch(
        shell("cat /proc/self/net/dev").user_namespace().network_namespace().build(), as(who));
    INFO(show(o));
    CHECK(interfaces(o.out) == std::vector<std::string>{"lo"});
    CHECK(o.has_note("network_namespace=empty_netns child_isolated"));

    Observation routes = launch(shell("tail -n +2 /proc/self/net/route | wc -l")
                                    .user_namespace()
                                    .network_namespace()
                                    .build(),
                                as(who));
    CHECK(routes.out == "0\n"); // network=UNREACHABLE

    Observation c =
        launch(probe({"connect", "127.0.0.1", port}).user_namespace().network_namespace().build(),
               as(who));
    INFO(show(c));
    CHECK_THAT(c.out, ContainsSubstring("connect=ENETUNREACH"));

    // Control: without the network namespace the same connect reaches the listener,
    // and the host's own interfaces are visible.
    Observation ok = launch(probe({"connect", "127.0.0.1", port}).build(), as(who));
    CHECK(ok.out == "connect=ok\n");
    Observation host = launch(shell("cat /proc/self/net/dev").build(), as(who));
    CHECK(interfaces(host.out).size() > 1);
}

TEST_CASE("netns: the host sees only lo in /proc/<pid>/net/dev of the workload",
          "[launcher][netns]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "unprivileged user namespaces disabled");
    TempDir dir("netdev");
    std::string go = dir / "go", ready = dir / "ready";
    Launch l(make_request(shell("touch " + ready + "; while [ ! -e " + go + " ]; do :; done")
                              .user_namespace()
                              .network_namespace()
                              .build()));
    long pid = child_pid(l);
    // Written by the workload itself: it has exec'd, it is in its namespace now.
    REQUIRE(eventually([&] { return file_exists(ready); }));
    std::string dev = read_file("/proc/" + std::to_string(pid) + "/net/dev");
    write_file(go, "");
    Observation o = l.finish();
    CHECK(interfaces(dev) == std::vector<std::string>{"lo"});
    CHECK(interfaces(read_file("/proc/self/net/dev")).size() > 1); // control: the host's own
    CHECK(o.terminal == S::ExecSucceeded);
}
