// The seccomp denylist program (PROTOCOL.md section 8; codec/seccomp_bpf.cpp):
// instruction-level goldens written out from the spec for the three policies, and a
// user-space BPF interpreter run over (arch, nr) inputs.
#include "../support/bpf_sim.hpp"

#include "codec/seccomp_bpf.h"

#include <catch2/catch_test_macros.hpp>

#include <set>
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
        // x32 (bit 30) and anything above it: killed (D9).
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

// --- the hardening filter (docs/PROTOCOL.md section 11): a second program, so the
// denylist above stays upstream's byte for byte.

namespace {

std::vector<BpfInsn> hardening(bool truncate, bool tty) {
    BpfInsn buf[kMaxHardeningInsns];
    size_t n = compile_hardening_filter(HardeningFilter{truncate, tty}, buf);
    return {buf, buf + n};
}

SeccompInput ioctl_call(uint64_t request) {
    SeccompInput in{16, kX86_64};
    in.args[0] = 0;
    in.args[1] = request;
    return in;
}

constexpr uint32_t kEperm = 0x00050001, kEacces = 0x0005000D, kAllow = 0x7FFF0000,
                   kKill = 0x80000000;

} // namespace

TEST_CASE("the hardening filter compiles to the golden program", "[unit][seccomp]") {
    std::vector<BpfInsn> both = kPrelude;
    both.push_back({0x15, 0, 1, 76});         // truncate
    both.push_back({0x06, 0, 0, 0x0005000D}); //   ERRNO(EACCES)
    both.push_back({0x15, 0, 4, 16});         // ioctl, else to ALLOW
    both.push_back({0x20, 0, 0, 24});         //   ld args[1] low 32 bits
    both.push_back({0x15, 1, 0, 0x5412});     //   TIOCSTI
    both.push_back({0x15, 0, 1, 0x541C});     //   TIOCLINUX
    both.push_back({0x06, 0, 0, 0x00050001}); //   ERRNO(EPERM)
    both.push_back({0x06, 0, 0, 0x7FFF0000}); // ALLOW
    CHECK(same(hardening(true, true), both));
    CHECK(hardening(true, true).size() == kMaxHardeningInsns);
    CHECK(hardening(false, false).empty());
}

TEST_CASE("the hardening filter denies terminal injection by the request's 32 bits only",
          "[unit][seccomp]") {
    for (bool truncate : {false, true}) {
        auto prog = hardening(truncate, true);
        INFO("truncate=" << truncate);
        // The kernel reads the request as an unsigned int: high bits must not let it by
        // (Flatpak's CVE-2019-10063 compared all 64 bits).
        for (uint64_t req : {0x5412ull, 0x541Cull, 0x100005412ull, 0xffffffff0000541Cull})
            CHECK(run_seccomp_bpf(prog, ioctl_call(req)) == kEperm);
        // Control: every other request, including neighbours and TIOCSTI's number on
        // another syscall, is allowed.
        for (uint64_t req : {0x5411ull, 0x5413ull, 0x541Bull, 0x541Dull, 0x5401ull, 0ull,
                             0x80045430ull, 0x100000000ull})
            CHECK(run_seccomp_bpf(prog, ioctl_call(req)) == kAllow);
        SeccompInput write{1, kX86_64};
        write.args[1] = 0x5412;
        CHECK(run_seccomp_bpf(prog, write) == kAllow);
    }
}

TEST_CASE("the hardening filter denies truncate(2) only when asked, with EACCES",
          "[unit][seccomp]") {
    auto with = hardening(true, true), without = hardening(false, true);
    CHECK(run_seccomp_bpf(with, {76, kX86_64}) == kEacces);
    CHECK(run_seccomp_bpf(without, {76, kX86_64}) == kAllow);
    // ftruncate (77) and open stay allowed: they need an fd Landlock already checked.
    for (uint32_t nr : {77u, 2u, 257u, 0u, 59u, 322u})
        CHECK(run_seccomp_bpf(with, {nr, kX86_64}) == kAllow);
    auto only_truncate = hardening(true, false);
    CHECK(run_seccomp_bpf(only_truncate, ioctl_call(0x5412)) == kAllow);
    CHECK(run_seccomp_bpf(only_truncate, {76, kX86_64}) == kEacces);
}

TEST_CASE("the hardening filter kills x32 and foreign architectures like the denylist",
          "[unit][seccomp]") {
    for (auto prog : {hardening(true, true), hardening(false, true), hardening(true, false)}) {
        for (uint32_t nr : {0x40000000u | 16, 0x40000000u | 514, 0x40000000u | 76, 0xffffffffu})
            CHECK(run_seccomp_bpf(prog, {nr, kX86_64}) == kKill);
        for (uint32_t arch : {kI386, kAarch64, 0u})
            CHECK(run_seccomp_bpf(prog, {54 /* i386 ioctl */, arch}) == kKill);
    }
}
