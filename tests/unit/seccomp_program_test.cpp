// The seccomp denylist program (PROTOCOL.md section 8; codec/seccomp_bpf.cpp):
// instruction-level goldens written out from the spec for the three policies, and a
// user-space BPF interpreter run over (arch, nr) inputs.
#include "../support/bpf_sim.hpp"

#include "codec/seccomp_bpf.h"

#include <catch2/catch_test_macros.hpp>

#include <cstring>

#include <set>
#include <utility>
#include <vector>

using namespace bvisor;
using namespace bvisor::codec;
using bvisor::test::run_seccomp_bpf;
using bvisor::test::SeccompInput;

namespace {

std::vector<BpfInsn> compile(bool tasks, bool sockets) {
    BpfInsn buf[kMaxSeccompInsns];
    size_t n = compile_seccomp_denylist(SeccompRequest{tasks, sockets}, buf);
    return {buf, buf + n};
}

bool same(const std::vector<BpfInsn>& a, const std::vector<BpfInsn>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].code != b[i].code || a[i].jt != b[i].jt || a[i].jf != b[i].jf || a[i].k != b[i].k)
            return false;
    return true;
}

// Written out by hand from PROTOCOL.md section 8.
const std::vector<BpfInsn> kPrelude = {
    {0x20, 0, 0, 4},          // ld [4]  arch
    {0x15, 1, 0, 0xC000003E}, // jeq AUDIT_ARCH_X86_64, 1, 0
    {0x06, 0, 0, 0x80000000}, // ret KILL_PROCESS
    {0x20, 0, 0, 0},          // ld [0]  nr
    {0x35, 0, 1, 0x40000000}, // jge 0x40000000, 0, 1
    {0x06, 0, 0, 0x80000000}, // ret KILL_PROCESS
};

std::vector<BpfInsn> golden(std::vector<uint32_t> denied) {
    std::vector<BpfInsn> p = kPrelude;
    for (uint32_t nr : denied) {
        p.push_back({0x15, 0, 1, nr});
        p.push_back({0x06, 0, 0, 0x00050001});
    }
    p.push_back({0x06, 0, 0, 0x7FFF0000});
    return p;
}

constexpr uint32_t kX86_64 = 0xC000003E, kI386 = 0x40000003, kAarch64 = 0xC00000B7;

} // namespace

TEST_CASE("deny_new_tasks compiles to the golden program", "[unit][seccomp]") {
    CHECK(same(compile(true, false), golden({56, 57, 58, 435})));
}

TEST_CASE("deny_inet_sockets compiles to the golden program (socket + io_uring)",
          "[unit][seccomp]") {
    CHECK(same(compile(false, true), golden({41, 425, 426, 427})));
}

TEST_CASE("both policies compile to one ascending list", "[unit][seccomp]") {
    CHECK(same(compile(true, true), golden({41, 56, 57, 58, 425, 426, 427, 435})));
    CHECK(compile(true, true).size() == kMaxSeccompInsns);
}

TEST_CASE("the emitted programs behave as the policy says on every syscall number",
          "[unit][seccomp]") {
    const std::set<uint32_t> tasks = {56, 57, 58, 435}, sockets = {41, 425, 426, 427};
    for (int policy = 1; policy <= 3; ++policy) {
        bool t = policy & 1, s = policy & 2;
        auto prog = compile(t, s);
        INFO("tasks=" << t << " sockets=" << s);
        for (uint32_t nr = 0; nr < 600; ++nr) {
            bool denied = (t && tasks.count(nr)) || (s && sockets.count(nr));
            auto r = run_seccomp_bpf(prog, {nr, kX86_64});
            REQUIRE(r.has_value());
            CHECK(*r == (denied ? 0x00050001u : 0x7FFF0000u));
        }
        // x32 (bit 30) and anything above it: killed (PROTOCOL.md section 8).
        for (uint32_t nr :
             {0x40000000u, 0x40000000u | 57, 0x40000000u | 41, 0x7fffffffu, 0xffffffffu}) {
            CHECK(run_seccomp_bpf(prog, {nr, kX86_64}) == 0x80000000u);
        }
        // Any other architecture: killed before the number is even looked at.
        for (uint32_t arch : {kI386, kAarch64, 0u}) {
            CHECK(run_seccomp_bpf(prog, {0, arch}) == 0x80000000u);
            CHECK(run_seccomp_bpf(prog, {57, arch}) == 0x80000000u);
        }
    }
}

TEST_CASE("the interpreter itself rejects malformed programs", "[unit][seccomp]") {
    CHECK_FALSE(run_seccomp_bpf({}, {0, kX86_64}).has_value());
    CHECK_FALSE(run_seccomp_bpf({{0x20, 0, 0, 64}}, {0, kX86_64}).has_value()); // load out of range
    CHECK_FALSE(run_seccomp_bpf({{0x15, 5, 5, 0}}, {0, kX86_64}).has_value());  // jump past the end
    CHECK(run_seccomp_bpf({{0x06, 0, 0, 7}}, {0, kX86_64}) == 7u);
}

// --- the hardening filter (docs/PROTOCOL.md section 11.2): a second program, so the
// denylist above stays upstream's byte for byte.

namespace {

std::vector<BpfInsn> hardening(bool truncate) {
    BpfInsn buf[kMaxHardeningInsns];
    size_t n = compile_hardening_filter(HardeningFilter{truncate}, buf);
    return {buf, buf + n};
}

SeccompInput call(uint32_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0) {
    SeccompInput in{nr, kX86_64};
    in.args[0] = a0;
    in.args[1] = a1;
    in.args[2] = a2;
    return in;
}
SeccompInput ioctl_call(uint64_t request) { return call(16, 0, request); }

constexpr uint32_t kEperm = 0x00050001, kEacces = 0x0005000D, kEnosys = 0x00050026,
                   kAllow = 0x7FFF0000, kKill = 0x80000000;
constexpr uint64_t kRdonly = 0, kWronly = 1, kRdwr = 2, kMode3 = 3, kTrunc = 01000, kCreat = 0100,
                   kCloexec = 02000000, kPath = 010000000;

} // namespace

TEST_CASE("the hardening filter compiles to the golden program", "[unit][seccomp]") {
    // Written out by hand from docs/PROTOCOL.md section 11.2.
    auto golden = [](bool truncate) {
        std::vector<BpfInsn> p = kPrelude;
        if (truncate) {
            p.push_back({0x15, 0, 1, 76});         // truncate
            p.push_back({0x06, 0, 0, 0x0005000D}); //   ERRNO(EACCES)
        }
        p.push_back({0x15, 0, 1, 437});        // openat2
        p.push_back({0x06, 0, 0, 0x00050026}); //   ERRNO(ENOSYS)
        for (uint32_t nr : {425u, 426u, 427u, 248u, 249u, 250u}) {
            p.push_back({0x15, 0, 1, nr});         // io_uring_*, add_key, request_key, keyctl
            p.push_back({0x06, 0, 0, 0x00050001}); //   ERRNO(EPERM)
        }
        for (auto [nr, at] : {std::pair{2u, 24u}, std::pair{257u, 32u}}) {
            p.push_back({0x15, 0, static_cast<uint8_t>(truncate ? 7 : 6), nr}); // open, openat
            p.push_back({0x20, 0, 0, at});                                      //   ld flags
            p.push_back({0x54, 0, 0, 01003}); //   & O_TRUNC|O_ACCMODE
            p.push_back({0x15, static_cast<uint8_t>(truncate ? 3 : 2), 0, 3}); //   mode 3
            p.push_back({0x15, static_cast<uint8_t>(truncate ? 2 : 1), 0, 01003});
            if (truncate) p.push_back({0x15, 1, 0, 01000}); //   O_RDONLY|O_TRUNC
            p.push_back({0x06, 0, 0, 0x7FFF0000});          //   ALLOW
            p.push_back({0x06, 0, 0, 0x0005000D});          //   ERRNO(EACCES)
        }
        p.push_back({0x15, 0, 4, 302});        // prlimit64
        p.push_back({0x20, 0, 0, 16});         //   ld args[0] low 32 bits: the pid
        p.push_back({0x15, 0, 1, 0});          //   0: the caller itself
        p.push_back({0x06, 0, 0, 0x7FFF0000}); //   ALLOW
        p.push_back({0x06, 0, 0, 0x00050001}); //   ERRNO(EPERM)
        p.push_back({0x15, 0, 10, 16});        // ioctl
        p.push_back({0x20, 0, 0, 24});         //   ld args[1] low 32 bits: the request
        uint8_t left = 7;
        for (uint32_t req : {0x5412u, 0x541Cu, 0x5423u, 0x540Cu, 0x540Du, 0x541Du, 0x5437u})
            p.push_back({0x15, left--, 0, req});
        p.push_back({0x06, 0, 0, 0x7FFF0000}); //   ALLOW
        p.push_back({0x06, 0, 0, 0x00050001}); //   ERRNO(EPERM)
        p.push_back({0x06, 0, 0, 0x7FFF0000}); // ALLOW
        return p;
    };
    CHECK(same(hardening(true), golden(true)));
    CHECK(same(hardening(false), golden(false)));
    BpfInsn buf[kMaxHardeningInsns]; // the longest program fills the buffer exactly
    CHECK(compile_hardening_filter(HardeningFilter{true, NetFilter::TcpOnly}, buf) ==
          kMaxHardeningInsns);
}

TEST_CASE("the hardening filter denies the terminal ioctls by the request's 32 bits only",
          "[unit][seccomp]") {
    for (bool truncate : {false, true}) {
        auto prog = hardening(truncate);
        INFO("truncate=" << truncate);
        // The kernel reads the request as an unsigned int: high bits must not let it by
        // (Flatpak's CVE-2019-10063 compared all 64 bits).
        for (uint64_t req : {0x5412ull, 0x541Cull, 0x5423ull, 0x540Cull, 0x540Dull, 0x541Dull,
                             0x5437ull, 0x100005412ull, 0xffffffff0000541Cull, 0x700005423ull})
            CHECK(run_seccomp_bpf(prog, ioctl_call(req)) == kEperm);
        // Control: every other request, including neighbours and TIOCSTI's number on
        // another syscall, is allowed (window size, modes, TIOCSCTTY, FIONREAD...).
        for (uint64_t req :
             {0x5411ull, 0x5413ull, 0x541Bull, 0x541Eull, 0x5401ull, 0x5402ull, 0x540Eull,
              0x5414ull, 0x5424ull, 0x5436ull, 0ull, 0x80045430ull, 0x100000000ull})
            CHECK(run_seccomp_bpf(prog, ioctl_call(req)) == kAllow);
        CHECK(run_seccomp_bpf(prog, call(1, 0, 0x5412)) == kAllow);
    }
}

TEST_CASE("the hardening filter closes keyrings, io_uring and openat2 on every ABI",
          "[unit][seccomp]") {
    for (bool truncate : {false, true}) {
        auto prog = hardening(truncate);
        INFO("truncate=" << truncate);
        for (uint32_t nr : {248u, 249u, 250u, 425u, 426u, 427u})
            CHECK(run_seccomp_bpf(prog, call(nr)) == kEperm);
        CHECK(run_seccomp_bpf(prog, call(437)) == kEnosys);
        // Control: their neighbours and everyday calls.
        for (uint32_t nr :
             {0u, 1u, 3u, 9u, 56u, 59u, 77u, 247u, 251u, 322u, 424u, 428u, 435u, 436u, 438u, 439u})
            CHECK(run_seccomp_bpf(prog, call(nr)) == kAllow);
    }
}

TEST_CASE("the hardening filter fails access-mode-3 opens on every ABI, and below ABI 3 "
          "O_TRUNC opens that are not for writing",
          "[unit][seccomp]") {
    for (bool truncate : {false, true}) {
        auto prog = hardening(truncate);
        INFO("truncate=" << truncate);
        // open: flags in args[1]; openat: in args[2] (args[1] is the path).
        for (uint32_t nr : {2u, 257u}) {
            INFO((nr == 2 ? "open" : "openat"));
            auto o = [&](uint64_t flags) {
                return nr == 2 ? run_seccomp_bpf(prog, call(2, 0x1000, flags))
                               : run_seccomp_bpf(prog, call(257, uint64_t(-100), 0x1000, flags));
            };
            CHECK(o(kMode3) == kEacces);
            CHECK(o(kMode3 | kTrunc | kCloexec) == kEacces);
            CHECK(o(kMode3 | kPath) == kEacces); // O_PATH ignores the mode; harmless
            CHECK(o(kRdonly | kTrunc) == (truncate ? kEacces : kAllow));
            CHECK(o(kRdonly | kTrunc | kCreat | kCloexec) == (truncate ? kEacces : kAllow));
            // Control: Landlock checks every one of these itself.
            for (uint64_t flags : {kRdonly, kWronly, kRdwr, kWronly | kTrunc, kRdwr | kTrunc,
                                   kWronly | kCreat | kTrunc, kRdonly | kCloexec, kPath,
                                   uint64_t{0xffffffff00000000ull} | kRdonly})
                CHECK(o(flags) == kAllow);
            // The kernel reads flags as an int: high bits do not matter.
            CHECK(o(0xffffffff00000000ull | kMode3) == kEacces);
        }
        // openat's path pointer (args[1]) is never read as flags.
        CHECK(run_seccomp_bpf(prog, call(257, 0, kMode3, kRdonly)) == kAllow);
        CHECK(run_seccomp_bpf(prog, call(2, 0, kRdonly, kMode3)) == kAllow);
    }
}

TEST_CASE("the hardening filter allows prlimit64 on the caller only", "[unit][seccomp]") {
    for (bool truncate : {false, true}) {
        auto prog = hardening(truncate);
        CHECK(run_seccomp_bpf(prog, call(302, 0)) == kAllow);
        for (uint64_t pid : {1ull, 2ull, 4242ull, 0xffffffffull, 0x7fffffffull})
            CHECK(run_seccomp_bpf(prog, call(302, pid)) == kEperm);
        // The kernel reads a pid_t: high bits do not make another pid the caller.
        CHECK(run_seccomp_bpf(prog, call(302, 0x100000000ull)) == kAllow);
        CHECK(run_seccomp_bpf(prog, call(302, 0x100000007ull)) == kEperm);
        // Control: setrlimit and getrlimit (self only) and prlimit's neighbours.
        for (uint32_t nr : {160u, 97u, 301u, 303u})
            CHECK(run_seccomp_bpf(prog, call(nr, 4242)) == kAllow);
    }
}

TEST_CASE("the hardening filter denies truncate(2) only below ABI 3, with EACCES",
          "[unit][seccomp]") {
    auto with = hardening(true), without = hardening(false);
    CHECK(run_seccomp_bpf(with, call(76)) == kEacces);
    CHECK(run_seccomp_bpf(without, call(76)) == kAllow);
    // ftruncate (77) stays allowed: it needs an fd opened for writing, which Landlock
    // grants only in write roots.
    CHECK(run_seccomp_bpf(with, call(77)) == kAllow);
}

TEST_CASE("the hardening filter kills x32 and foreign architectures like the denylist",
          "[unit][seccomp]") {
    for (auto prog : {hardening(true), hardening(false)}) {
        for (uint32_t nr : {0x40000000u | 16, 0x40000000u | 514, 0x40000000u | 76,
                            0x40000000u | 250, 0xffffffffu})
            CHECK(run_seccomp_bpf(prog, {nr, kX86_64}) == kKill);
        for (uint32_t arch : {kI386, kAarch64, 0u})
            CHECK(run_seccomp_bpf(prog, {54 /* i386 ioctl */, arch}) == kKill);
    }
}

// --- the network policy's socket rules (docs/PROTOCOL.md section 11.4), interpreted.
TEST_CASE("the network rules: which sockets may exist, by mode", "[unit][seccomp]") {
    auto filter = [](NetFilter mode) {
        BpfInsn buf[kMaxHardeningInsns];
        size_t n = compile_hardening_filter(HardeningFilter{false, mode}, buf);
        return std::vector<BpfInsn>(buf, buf + n);
    };
    constexpr uint32_t kEafno = 0x00050061, kEproto = 0x0005005D;
    constexpr uint64_t kNonblockCloexec = 04000 | 02000000, kHigh = uint64_t{1} << 32;
    auto socket = [](uint64_t family, uint64_t type, uint64_t proto) {
        return call(41, family, type, proto);
    };
    struct Row {
        SeccompInput in;
        uint32_t off, deny_all, tcp_only;
    };
    const Row rows[] = {
        {socket(1, 1, 0), kAllow, kAllow, kAllow},                          // unix stream
        {socket(1, 2 | kNonblockCloexec, 0), kAllow, kAllow, kAllow},       // unix dgram
        {socket(16, 3, 0), kAllow, kAllow, kAllow},                         // NETLINK_ROUTE
        {socket(16, 3, 9), kAllow, kEproto, kEproto},                       // NETLINK_AUDIT
        {socket(2, 1, 0), kAllow, kEacces, kAllow},                         // tcp
        {socket(2, 1 | kNonblockCloexec, 6), kAllow, kEacces, kAllow},      // tcp, flags
        {socket(10, 1, 0), kAllow, kEacces, kAllow},                        // tcp6
        {socket(2 | kHigh, 1 | kHigh, 0 | kHigh), kAllow, kEacces, kAllow}, // int args
        {socket(2, 2, 0), kAllow, kEacces, kEacces},                        // udp
        {socket(10, 2, 17), kAllow, kEacces, kEacces},                      // udp6
        {socket(2, 3, 1), kAllow, kEacces, kEacces},                        // raw icmp
        {socket(2, 1, 262), kAllow, kEacces, kEacces},                      // mptcp
        {socket(2, 1, 132), kAllow, kEacces, kEacces},                      // sctp stream
        {socket(2, 5, 132), kAllow, kEacces, kEacces},                      // sctp seqpacket
        {socket(17, 3, 0x300), kAllow, kEafno, kEafno},                     // packet
        {socket(40, 1, 0), kAllow, kEafno, kEafno},                         // vsock
        {call(44, 3, 0, 0x1000), kAllow, kAllow, kAllow},                   // sendto, no flags
        {[] {
             auto c = call(44);
             c.args[3] = 0x20000000;
             return c;
         }(),
         kAllow, kAllow, kEacces},
        {call(46, 3, 0, 0x20000000), kAllow, kAllow, kEacces}, // sendmsg fastopen
        {[] {
             auto c = call(307);
             c.args[3] = 0x20000040;
             return c;
         }(),
         kAllow, kAllow, kEacces},
        {call(53, 1, 1, 0), kAllow, kAllow, kAllow},  // socketpair, unix
        {call(53, 30, 2, 0), kAllow, kEafno, kEafno}, // socketpair, TIPC
        {call(53, 2, 1, 0), kAllow, kEafno, kEafno},  // socketpair, inet
        {call(438, 3, 4, 0), kAllow, kEperm, kEperm}, // pidfd_getfd
        {call(42, 3, 0, 16), kAllow, kAllow, kAllow}, // connect: Landlock's
    };
    auto off = filter(NetFilter::Off), deny = filter(NetFilter::DenyAll),
         tcp = filter(NetFilter::TcpOnly);
    auto plain = hardening(false); // no network entry: the program of section 11.2
    REQUIRE(off.size() == plain.size());
    CHECK(std::memcmp(off.data(), plain.data(), off.size() * sizeof(BpfInsn)) == 0);
    CHECK(deny.size() <= kMaxHardeningInsns);
    CHECK(tcp.size() <= kMaxHardeningInsns);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; ++i) {
        INFO("row " << i);
        CHECK(run_seccomp_bpf(off, rows[i].in) == rows[i].off);
        CHECK(run_seccomp_bpf(deny, rows[i].in) == rows[i].deny_all);
        CHECK(run_seccomp_bpf(tcp, rows[i].in) == rows[i].tcp_only);
    }
}
