// tests/integration/network_test.cpp: bvisor-run's network policy (docs/PROTOCOL.md
// section 11.4). The verdict is always the listener's: did a connection or a datagram
// arrive on the socket this test made on loopback. Every deny has its --allow-net or
// --allow-connect control, as root and as uid 65534.
#include "../support/env.hpp"
#include "../support/kernel.hpp"
#include "../support/launch.hpp"
#include "../support/process.hpp"
#include "../support/tools.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

namespace {

using namespace bvisor::test;

// A socket on loopback that the workload is asked to reach, and what reached it.
class Listener {
public:
    Listener(int family, int type) : family_(family) {
        fd_ = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_storage ss{};
        socklen_t len = address(ss, 0);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0);
        if (type == SOCK_STREAM) REQUIRE(::listen(fd_, 8) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
        port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                         : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        stream_ = type == SOCK_STREAM;
    }
    ~Listener() { ::close(fd_); }
    std::string port() const { return std::to_string(port_); }
    // Whether a client's connection or datagram is waiting (the workload has ended, so
    // anything it sent is here by now; the poll only bounds a slow loopback).
    bool reached() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 200) != 1) return false;
        if (!stream_) return true;
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return false;
        ::close(c);
        return true;
    }

private:
    socklen_t address(sockaddr_storage& ss, uint16_t port) const {
        if (family_ == AF_INET6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(port);
            a->sin6_addr = in6addr_loopback;
            return sizeof *a;
        }
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sizeof *a;
    }
    int family_, fd_ = -1;
    uint16_t port_ = 0;
    bool stream_ = true;
};

bool ipv6_loopback() {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// The probe's attempt at KIND, under bvisor-run with `flags`.
ProcessResult attempt(const std::vector<std::string>& flags, const std::string& kind,
                      const std::string& addr, const Listener& l, const Who& who) {
    std::vector<std::string> args = flags;
    args.insert(args.end(), {"--", reachable_copy(tool_path("bvisor-test-probe")), "net", kind,
                             addr, l.port()});
    return bvisor_run(args, who.unprivileged);
}

} // namespace

TEST_CASE("network: denied by default for TCP, UDP and IPv6 to loopback; --allow-net is today's",
          "[network]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    struct Case {
        const char* kind;
        int family, type;
        const char* addr;
    };
    std::vector<Case> cases = {{"tcp", AF_INET, SOCK_STREAM, "127.0.0.1"},
                               {"udp", AF_INET, SOCK_DGRAM, "127.0.0.1"},
                               {"mptcp", AF_INET, SOCK_STREAM, "127.0.0.1"}};
    if (ipv6_loopback()) cases.push_back({"tcp6", AF_INET6, SOCK_STREAM, "::1"});
    for (const Case& c : cases) {
        INFO(who.name() << " " << c.kind);
        Listener denied(c.family, c.type);
        auto r = attempt({}, c.kind, c.addr, denied, who);
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("=EACCES") != std::string::npos);
        CHECK_FALSE(denied.reached());
        Listener allowed(c.family, c.type); // control: no policy
        auto a = attempt({"--allow-net"}, c.kind, c.addr, allowed, who);
        if (std::string(c.kind) == "mptcp" && a.out.find("net_mptcp=other") == 0) {
            WARN("MPTCP is not available on this kernel: its control cannot run");
            continue;
        }
        CHECK(a.exit_code == 0);
        CHECK(allowed.reached());
    }
}

TEST_CASE("network: --allow-connect reaches its port and no other; UDP, MPTCP and fast-open "
          "stay denied",
          "[network]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_abi() >= 4, "Landlock ABI 4 (TCP rules, Linux 6.7)");
    Listener granted(AF_INET, SOCK_STREAM), other(AF_INET, SOCK_STREAM);
    const std::vector<std::string> grant = {"--allow-connect", granted.port()};
    auto g = attempt(grant, "tcp", "127.0.0.1", granted, who);
    CHECK(g.exit_code == 0);
    CHECK(granted.reached());
    auto o = attempt(grant, "tcp", "127.0.0.1", other, who);
    CHECK(o.exit_code == 1);
    CHECK_FALSE(other.reached());
    // The granted port through the paths Landlock's TCP rules do not see.
    Listener fast(AF_INET, SOCK_STREAM), mp(AF_INET, SOCK_STREAM), dgram(AF_INET, SOCK_DGRAM);
    for (auto [kind, l] : {std::pair{"fastopen", &fast}, {"mptcp", &mp}, {"udp", &dgram}}) {
        INFO(who.name() << " " << kind);
        auto r = attempt({"--allow-connect", l->port()}, kind, "127.0.0.1", *l, who);
        CHECK(r.out.find("=EACCES") != std::string::npos);
        CHECK_FALSE(l->reached());
    }
    // Control: fast-open delivers without a policy.
    Listener fast_ok(AF_INET, SOCK_STREAM);
    auto f = attempt({"--allow-net"}, "fastopen", "127.0.0.1", fast_ok, who);
    CHECK(f.exit_code == 0);
    CHECK(fast_ok.reached());
}

namespace {

// What a client on this side reads from 127.0.0.1:port within `tries` attempts 25 ms
// apart ("" when nothing ever accepted it).
std::string read_from(uint16_t port, int tries) {
    for (int i = 0; i < tries; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            char buf[16] = {};
            pollfd p{fd, POLLIN, 0};
            ssize_t n = ::poll(&p, 1, 5000) == 1 ? ::read(fd, buf, sizeof buf - 1) : -1;
            ::close(fd);
            return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "connected";
        }
        ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return "";
}

} // namespace

TEST_CASE("network: --allow-bind lets a client here reach the program's listener; without it "
          "nothing listens",
          "[network]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_abi() >= 4, "Landlock ABI 4 (TCP rules, Linux 6.7)");
    uint16_t port;
    {
        Listener probe_port(AF_INET, SOCK_STREAM); // a free port, released again
        port = static_cast<uint16_t>(std::stoi(probe_port.port()));
    }
    const std::string p = std::to_string(port);
    // Listens for a while whether or not bind succeeds, so that the client's verdict
    // covers the run; answers "hello" to one client.
    const std::string server =
        "import socket, time\n"
        "try:\n"
        "    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "    s.bind(('127.0.0.1', " +
        p +
        ")); s.listen(1); s.settimeout(20)\n"
        "    c, _ = s.accept(); c.send(b'hello'); c.close()\n"
        "except PermissionError:\n"
        "    time.sleep(1.5)\n";
    for (bool granted : {true, false}) {
        INFO(who.name() << (granted ? " --allow-bind PORT" : " --allow-bind another port"));
        std::vector<std::string> args = {"--", "python3", "-c", server};
        // The control grants another port: TCP sockets exist, Landlock refuses this bind.
        args.insert(args.begin(), {"--allow-bind", granted ? p : std::to_string(port ^ 1)});
        auto run =
            std::async(std::launch::async, [&] { return bvisor_run(args, who.unprivileged); });
        std::string got = read_from(port, granted ? 400 : 50);
        auto r = run.get();
        if (granted) {
            CHECK(got == "hello");
            CHECK(r.exit_code == 0);
        } else {
            CHECK(got.empty());
        }
    }
}

TEST_CASE("network: port grants use Landlock from ABI 4 and are refused below it, naming the ABI",
          "[network]") {
    Listener l(AF_INET, SOCK_STREAM);
    auto r = bvisor_run({"--transcript", "--allow-connect", l.port(), "--", "true"});
    if (landlock_abi() >= 4) {
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("# network tcp_connect=" + l.port() + " tcp_bind=none tcp_by=landlock") !=
              std::string::npos);
    } else {
        CHECK(r.exit_code == 125);
        CHECK(r.err.find("need Landlock ABI 4 (Linux 6.7)") != std::string::npos);
    }
    CHECK_FALSE(l.reached());
    auto d = bvisor_run({"--transcript", "--", "true"}); // deny-all: seccomp on every kernel
    CHECK(d.exit_code == 0);
    CHECK(d.err.find("# network tcp_connect=none tcp_bind=none tcp_by=seccomp") !=
          std::string::npos);
}
