// PROTOCOL.md section 7 checks 3..8 (codec/checks.cpp): each refusal with its
// reason and a detail that names what was wrong.
#include "../support/sample_plans.hpp"

#include "bvisor/plan.hpp"
#include "codec/checks.h"
#include "codec/text.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <memory>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using codec::Error;

namespace {

struct Outcome {
    bool passed;
    RefusalReason reason;
    Error code;
    std::string detail;
};

Outcome check(const LaunchBody& b, int control_fd = 11, int plan_fd = 13) {
    auto bytes = encode_frame(b);
    auto v = verify_frame(bytes, control_fd, plan_fd);
    Outcome o{!v.has_value(), RefusalReason::PlanInvalid, Error::Ok, ""};
    if (v) {
        o.reason = v->reason;
        o.detail = v->detail;
        auto storage = std::make_unique<codec::PlanStorage>();
        codec::DecodedPlan d;
        auto body = open_frame(bytes);
        REQUIRE(codec::decode_body({body.data(), body.size()}, storage.get(), &d).ok());
        codec::Refusal r;
        if (!codec::check_plan(d.plan, control_fd, plan_fd, &r)) o.code = r.status.code;
    }
    return o;
}

LaunchBody confined() {
    LaunchBody b = happy_body();
    b.lowering = {LoweringEntry::scrub(), LoweringEntry::landlock(), LoweringEntry::exec()};
    b.descriptor_table.push_back(DescriptorSlot{15, Role::ReadRoot, Kind::Directory, false});
    b.descriptor_table.push_back(DescriptorSlot{16, Role::WriteRoot, Kind::Directory, false});
    b.bind_lowering();
    return b;
}

} // namespace

TEST_CASE("valid plans pass checks 3..8", "[unit][checks]") {
    CHECK(check(happy_body()).passed);
    CHECK(check(confined()).passed);
    CHECK(check(full_body()).passed);
}

TEST_CASE("h_l that does not bind the lowering is IdentityMismatch", "[unit][checks]") {
    LaunchBody b = happy_body();
    b.h_l[0] ^= 1;
    auto o = check(b);
    CHECK(o.reason == RefusalReason::IdentityMismatch);
    CHECK_THAT(o.detail, ContainsSubstring("h_l"));
}

TEST_CASE("check 3: the descriptor table", "[unit][checks]") {
    SECTION("duplicate slot index") {
        LaunchBody b = confined();
        b.descriptor_table.push_back(DescriptorSlot{15, Role::ReadRoot, Kind::Directory, false});
        auto o = check(b);
        CHECK(o.code == Error::DuplicateSlotIndex);
        CHECK(o.reason == RefusalReason::PlanInvalid);
        CHECK_THAT(o.detail, ContainsSubstring("duplicate slot_index 15"));
    }
    SECTION("second singleton role") {
        LaunchBody b = confined();
        b.descriptor_table.push_back(DescriptorSlot{30, Role::TargetExe, Kind::Regular, false});
        auto o = check(b);
        CHECK(o.code == Error::DuplicateSingletonRole);
        CHECK_THAT(o.detail, ContainsSubstring("TargetExe"));
    }
    SECTION("slot index above i32") {
        LaunchBody b = confined();
        b.descriptor_table.push_back(
            DescriptorSlot{2147483648u, Role::ReadRoot, Kind::Directory, false});
        CHECK(check(b).code == Error::SlotIndexTooLarge);
    }
    SECTION("the control fd or the plan fd") {
        LaunchBody b = confined();
        b.descriptor_table.push_back(DescriptorSlot{11, Role::ReadRoot, Kind::Directory, false});
        CHECK(check(b).code == Error::SlotIsControlFd);
        b.descriptor_table.back().slot_index = 13;
        CHECK(check(b).code == Error::SlotIsPlanFd);
        b.descriptor_table.back().slot_index = 40;
        CHECK(check(b).passed);
    }
    SECTION("kinds each role must be declared as") {
        struct Case {
            Role role;
            Kind bad;
            Kind good;
        };
        // Roots may also be single files or character devices (an extension,
        // docs/PROTOCOL.md section 11.1), never sockets or pipes.
        for (auto c : {Case{Role::ReadRoot, Kind::Socket, Kind::Directory},
                       Case{Role::ReadRoot, Kind::Pipe, Kind::Regular},
                       Case{Role::WriteRoot, Kind::Pipe, Kind::CharDevice},
                       Case{Role::CgroupDir, Kind::Socket, Kind::Directory},
                       Case{Role::CgroupDir, Kind::CharDevice, Kind::Directory},
                       Case{Role::ControlChannel, Kind::Directory, Kind::Socket},
                       Case{Role::ControlChannel, Kind::Regular, Kind::Pipe}}) {
            LaunchBody b = confined();
            b.descriptor_table.push_back(DescriptorSlot{40, c.role, c.bad, false});
            auto o = check(b);
            INFO(codec::role_name(c.role) << " as " << codec::kind_name(c.bad));
            CHECK(o.code == Error::SlotKindMismatch);
            CHECK_THAT(o.detail, ContainsSubstring("slot 40"));
            b.descriptor_table.back().kind = c.good;
            CHECK(check(b).passed);
        }
        LaunchBody b = confined();
        b.descriptor_table[0].kind = Kind::Directory; // TargetExe
        CHECK(check(b).code == Error::SlotKindMismatch);
    }
    SECTION("fds 0..2 only for stdio roles") {
        LaunchBody b = confined();
        b.descriptor_table.push_back(DescriptorSlot{2, Role::ReadRoot, Kind::Directory, false});
        CHECK(check(b).code == Error::StdioFdNotStdioRole);
        b.descriptor_table.back() = DescriptorSlot{2, Role::Stderr, Kind::Pipe, true};
        CHECK(check(b).passed);
        b.descriptor_table.back() = DescriptorSlot{7, Role::Stdin, Kind::Regular, false};
        CHECK(check(b).passed);
    }
}

TEST_CASE("check 4: every entry is a known primitive, and one is exec", "[unit][checks]") {
    LaunchBody b = happy_body();
    LoweringEntry old;
    old.id = "linux.landlock.v1";
    old.phase_code = 4;
    b.lowering.insert(b.lowering.begin() + 1, old);
    b.bind_lowering();
    auto o = check(b);
    CHECK(o.reason == RefusalReason::MissingPrimitive);
    CHECK(o.code == Error::UnknownPrimitive);
    CHECK_THAT(o.detail, ContainsSubstring("\"linux.landlock.v1\" with phase_code 4"));
    CHECK_THAT(o.detail, ContainsSubstring("lowering.entries[1]"));

    LaunchBody wrong_code = happy_body();
    wrong_code.lowering[1].phase_code = 4; // exec at the confinement phase
    wrong_code.bind_lowering();
    CHECK(check(wrong_code).code == Error::UnknownPrimitive);

    LaunchBody no_exec = happy_body();
    no_exec.lowering.pop_back();
    no_exec.bind_lowering();
    auto n = check(no_exec);
    CHECK(n.reason == RefusalReason::MissingPrimitive);
    CHECK(n.code == Error::NoExecEntry);

    LaunchBody dup = happy_body();
    dup.lowering = {LoweringEntry::exec(), LoweringEntry::scrub(), LoweringEntry::exec(),
                    LoweringEntry::scrub()};
    dup.bind_lowering();
    CHECK(check(dup).passed); // duplicates and any order are accepted
}

TEST_CASE("check 4: a control character in an unknown id is escaped in the detail",
          "[unit][checks]") {
    LaunchBody b = happy_body();
    LoweringEntry evil;
    evil.id = "x\nSetupRefused\n# refusal=PlanInvalid";
    evil.phase_code = 4;
    b.lowering.push_back(evil);
    b.bind_lowering();
    auto o = check(b);
    CHECK(o.detail.find('\n') == std::string::npos);
    CHECK_THAT(o.detail, ContainsSubstring("x\\x0aSetupRefused\\x0a# refusal"));
}

TEST_CASE("check 5: a scrub entry is mandatory", "[unit][checks]") {
    LaunchBody b = happy_body();
    b.lowering = {LoweringEntry::exec()};
    b.bind_lowering();
    auto o = check(b);
    CHECK(o.reason == RefusalReason::PlanInvalid);
    CHECK(o.code == Error::NoScrubEntry);
}

TEST_CASE("check 6: a seccomp entry needs a request that denies something", "[unit][checks]") {
    LaunchBody b = happy_body();
    b.lowering.insert(b.lowering.begin() + 1, LoweringEntry::seccomp());
    b.bind_lowering();
    auto o = check(b);
    CHECK(o.reason == RefusalReason::MissingPrimitive);
    CHECK(o.code == Error::SeccompWithoutRequest);
    b.target.seccomp = SeccompRequest{false, false};
    o = check(b);
    CHECK(o.reason == RefusalReason::MissingPrimitive);
    CHECK(o.code == Error::SeccompDeniesNothing);
    b.target.seccomp = SeccompRequest{false, true};
    CHECK(check(b).passed);
}

TEST_CASE("check 7: half-requested confinement is refused (PROTOCOL.md section 10)",
          "[unit][checks]") {
    LaunchBody b = happy_body();
    b.target.seccomp = SeccompRequest{true, false};
    CHECK(check(b).code == Error::SeccompRequestWithoutEntry);
    CHECK(check(b).reason == RefusalReason::PlanInvalid);

    LaunchBody roots = confined();
    roots.lowering = {LoweringEntry::scrub(), LoweringEntry::exec()};
    roots.bind_lowering();
    CHECK(check(roots).code == Error::RootsWithoutLandlock);

    LaunchBody bare = happy_body();
    bare.lowering = {LoweringEntry::scrub(), LoweringEntry::landlock(), LoweringEntry::exec()};
    bare.bind_lowering();
    CHECK(check(bare).code == Error::LandlockWithoutRoots);
}

TEST_CASE("check 8: the target", "[unit][checks]") {
    SECTION("empty argv") {
        LaunchBody b = happy_body();
        b.target.argv.clear();
        CHECK(check(b).code == Error::EmptyArgv);
    }
    SECTION("NUL in argv or envp") {
        LaunchBody b = happy_body();
        b.target.argv.push_back(std::string("a\0b", 3));
        auto o = check(b);
        CHECK(o.code == Error::NulInArgv);
        CHECK_THAT(o.detail, ContainsSubstring("target.argv[1]"));
        LaunchBody e = happy_body();
        e.target.envp.push_back({"K", std::string("v\0", 2)});
        CHECK(check(e).code == Error::NulInEnv);
    }
    SECTION("bad environment names") {
        for (const char* name : {"", "A=B", "="}) {
            LaunchBody b = happy_body();
            b.target.envp.push_back({name, "v"});
            INFO("name '" << name << "'");
            CHECK(check(b).code == Error::BadEnvName);
        }
        LaunchBody ok = happy_body();
        ok.target.envp.push_back({"X", "a=b=c"});
        CHECK(check(ok).passed);
    }
    SECTION("netns requires userns") {
        LaunchBody b = happy_body();
        b.target.network_namespace = true;
        CHECK(check(b).code == Error::NetnsWithoutUserns);
        b.target.user_namespace = true;
        CHECK(check(b).passed);
    }
    SECTION("exe_slot must be the TargetExe slot") {
        LaunchBody b = happy_body();
        b.target.exe_slot = 12;
        auto o = check(b);
        CHECK(o.code == Error::NoTargetExeSlot);
        CHECK_THAT(o.detail, ContainsSubstring("exe_slot 12"));
        LaunchBody none = happy_body();
        none.descriptor_table.clear();
        CHECK(check(none).code == Error::NoTargetExeSlot);
    }
}

TEST_CASE("checks run in the protocol's order: the first failing check is reported",
          "[unit][checks]") {
    LaunchBody b = happy_body();
    b.lowering = {LoweringEntry::exec()}; // check 5 fails
    b.target.argv.clear();                // check 8 fails
    b.descriptor_table.push_back(
        DescriptorSlot{10, Role::ReadRoot, Kind::Directory, false}); // check 3
    b.bind_lowering();
    CHECK(check(b).code == Error::DuplicateSlotIndex);
    b.descriptor_table.pop_back();
    CHECK(check(b).code == Error::NoScrubEntry);
    b.lowering = {LoweringEntry::scrub(), LoweringEntry::exec()};
    b.bind_lowering();
    CHECK(check(b).code == Error::EmptyArgv);
}

TEST_CASE("plan text in a detail is escaped and cut at 200 bytes", "[unit][checks]") {
    char buf[1024];
    codec::TextBuf t(buf, sizeof buf);
    std::string s = "ok\x01\x7f\xc3\xa9";
    t.append_plan_text(codec::Str{s.data(), static_cast<uint32_t>(s.size())});
    CHECK(std::string(t.c_str()) == "ok\\x01\\x7f\xc3\xa9");
    codec::TextBuf u(buf, sizeof buf);
    std::string long_text(500, 'a');
    u.append_plan_text(codec::Str{long_text.data(), 500});
    CHECK(u.size() == 200);
    codec::TextBuf v(buf, sizeof buf);
    std::string ctl(100, '\n');
    v.append_plan_text(codec::Str{ctl.data(), 100});
    CHECK(v.size() == 200); // 50 escapes of 4 bytes, never a split escape
    codec::TextBuf w(buf, sizeof buf);
    std::string utf = std::string(199, 'a') + "\xc3\xa9";
    w.append_plan_text(codec::Str{utf.data(), static_cast<uint32_t>(utf.size())});
    CHECK(w.size() == 199); // never a split UTF-8 sequence
}
