// The plan extensions (docs/PROTOCOL.md section 11): upstream plans are byte-identical,
// every extension field has exactly one encoding, and a plan that depends on an
// extension is refused (never widened) by the rules an older reader applies.
#include "../support/mp_value.hpp"
#include "../support/sample_plans.hpp"

#include "bvisor/plan.hpp"
#include "bvisor/plan_json.hpp"
#include "codec/checks.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <memory>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using codec::Error;

namespace {

Error refusal(const MpValue& v) { return decode_status(mp_encode(v)).code; }

// The first refusal of checks 3..8, or Ok.
Error check_code(const LaunchBody& b) {
    auto body = encode_body(b);
    auto storage = std::make_unique<codec::PlanStorage>();
    codec::DecodedPlan d;
    REQUIRE(codec::decode_body({body.data(), body.size()}, storage.get(), &d).ok());
    codec::Refusal r;
    return codec::check_plan(d.plan, 11, 13, &r) ? Error::Ok : r.status.code;
}

std::string hex(const std::vector<uint8_t>& bytes) { return to_hex(bytes); }
std::string text_hex(const std::string& s) { return hex(std::vector<uint8_t>(s.begin(), s.end())); }

} // namespace

TEST_CASE("an upstream plan encodes with no extension key", "[unit][extensions]") {
    for (const auto& b : {happy_body(), full_body()}) {
        auto bytes = encode_body(b);
        std::string text(bytes.begin(), bytes.end());
        for (const char* key : {"keep_capabilities", "allow_abstract_unix", "allow_signals",
                                "landlock_min_abi", "CharDevice", "linux.hardening"})
            CHECK(text.find(key) == std::string::npos);
    }
}

TEST_CASE("every extension round-trips, and the codec writes what the spec says",
          "[unit][extensions]") {
    LaunchBody b = extended_body();
    auto canonical = encode_body(b);
    // The test-side encoder writes the fields from the spec, independently of the codec.
    CHECK(mp_encode(body_value(b)) == canonical);
    CHECK(decode_status(canonical).ok());
    CHECK(decode_body(canonical) == b);
    CHECK(from_json(to_json(b), true) == b);
    // The target's extension bytes, by hand: a fixstr key, then its value.
    std::string t = hex(encode_target(b.target));
    CHECK_THAT(t, ContainsSubstring("b1" + text_hex("keep_capabilities") + "930a283f"));
    CHECK_THAT(t, ContainsSubstring("b3" + text_hex("allow_abstract_unix") + "80"));
    CHECK_THAT(t, ContainsSubstring("ad" + text_hex("allow_signals") + "80"));
    CHECK_THAT(t, ContainsSubstring("b0" + text_hex("landlock_min_abi") + "ccc8"));
}

TEST_CASE("each extension field has exactly one encoding", "[unit][extensions]") {
    const LaunchBody b = extended_body();
    auto with = [&](const char* key, MpValue v) {
        MpValue body = body_value(b);
        body.at("target").at(key) = std::move(v);
        return refusal(body);
    };
    SECTION("keep_capabilities: ascending, distinct, at least one, each 0..63") {
        CHECK(with("keep_capabilities", MpValue::array({})) == Error::EmptyCapabilities);
        CHECK(with("keep_capabilities", MpValue::array({MpValue::uint(40), MpValue::uint(10)})) ==
              Error::CapabilityOrder);
        CHECK(with("keep_capabilities", MpValue::array({MpValue::uint(10), MpValue::uint(10)})) ==
              Error::CapabilityOrder);
        CHECK(with("keep_capabilities", MpValue::array({MpValue::uint(64)})) ==
              Error::IntegerOutOfRange);
        CHECK(with("keep_capabilities", MpValue::array({MpValue::uint(10, 1)})) ==
              Error::NonCanonicalHeader);
        CHECK(with("keep_capabilities", MpValue::uint(1024)) == Error::WrongType);
        CHECK(with("keep_capabilities", MpValue::nil()) == Error::NilOptional);
    }
    SECTION("landlock_min_abi: absent is the only encoding of no minimum") {
        CHECK(with("landlock_min_abi", MpValue::uint(0)) == Error::LandlockMinAbiTooLow);
        CHECK(with("landlock_min_abi", MpValue::uint(1)) == Error::LandlockMinAbiTooLow);
        CHECK(with("landlock_min_abi", MpValue::uint(256)) == Error::IntegerOutOfRange);
        CHECK(with("landlock_min_abi", MpValue::uint(3, 1)) == Error::NonCanonicalHeader);
    }
    SECTION("the flags are empty maps, nothing else") {
        CHECK(with("allow_signals", MpValue::boolean(true)) == Error::WrongType);
        CHECK(with("allow_abstract_unix", MpValue::map({{MpValue::str("x"), MpValue::uint(1)}})) ==
              Error::UnknownKey);
        CHECK(with("allow_signals", MpValue::nil()) == Error::NilOptional);
    }
    SECTION("extension keys come after seccomp, in declaration order") {
        MpValue body = body_value(b);
        auto& entries = body.at("target").entries;
        std::swap(entries[entries.size() - 1], entries[entries.size() - 2]);
        CHECK(refusal(body) == Error::KeyOrder);
        MpValue first = body_value(b);
        auto& e2 = first.at("target").entries;
        std::rotate(e2.begin() + 5, e2.begin() + 6, e2.end()); // seccomp after the extensions
        CHECK(refusal(first) == Error::KeyOrder);
    }
    SECTION("CharDevice is a kind; other spellings are not") {
        MpValue body = body_value(b);
        body.at("descriptor_table").items.back().at("expected").at("kind") =
            MpValue::str("Chardevice");
        CHECK(refusal(body) == Error::UnknownVariant);
    }
}

TEST_CASE("a plan that depends on an extension is refused by upstream's own rules",
          "[unit][extensions]") {
    // Upstream refuses a root declared other than Directory (check 3) and an unknown
    // primitive (check 4), and cannot decode the CharDevice variant: each such plan is
    // refused there, never run wider. Here the same checks hold for what upstream knows.
    LaunchBody b = extended_body();
    CHECK(check_code(b) == Error::Ok);
    LaunchBody exe_dev = full_body();
    exe_dev.descriptor_table[0].kind = Kind::CharDevice;
    CHECK(check_code(exe_dev) == Error::SlotKindMismatch);
    LaunchBody cgroup_file = full_body();
    cgroup_file.descriptor_table[3].kind = Kind::Regular;
    CHECK(check_code(cgroup_file) == Error::SlotKindMismatch);
    LaunchBody root_pipe = full_body();
    root_pipe.descriptor_table[1].kind = Kind::Pipe;
    CHECK(check_code(root_pipe) == Error::SlotKindMismatch);
    // The hardening entry with another phase code is no primitive at all.
    LaunchBody wrong_phase = full_body();
    wrong_phase.lowering.push_back(LoweringEntry::hardening());
    wrong_phase.lowering.back().phase_code = 5;
    wrong_phase.bind_lowering();
    CHECK(check_code(wrong_phase) == Error::UnknownPrimitive);
}

TEST_CASE("check 7: an extension that relaxes or requires what the plan does not apply",
          "[unit][extensions]") {
    LaunchBody unconfined = happy_body(); // scrub + exec only
    SECTION("Landlock relaxations need a landlock entry") {
        LaunchBody b = unconfined;
        b.target.allow_signals = true;
        CHECK(check_code(b) == Error::RelaxationWithoutLandlock);
        b.target.allow_signals = false;
        b.target.allow_abstract_unix = true;
        CHECK(check_code(b) == Error::RelaxationWithoutLandlock);
    }
    SECTION("landlock_min_abi needs a landlock entry") {
        LaunchBody b = unconfined;
        b.target.landlock_min_abi = 3;
        CHECK(check_code(b) == Error::LandlockMinAbiWithoutLandlock);
    }
    SECTION("keep_capabilities needs something that confines") {
        LaunchBody b = unconfined;
        b.target.keep_capabilities = 1;
        CHECK(check_code(b) == Error::CapabilitiesWithoutConfinement);
        // The hardening entry alone confines: then it is allowed.
        b.lowering.insert(b.lowering.begin() + 1, LoweringEntry::hardening());
        b.bind_lowering();
        CHECK(check_code(b) == Error::Ok);
    }
}

TEST_CASE("the hardening entry counts as confinement in the phase rules", "[unit][extensions]") {
    LaunchBody b = happy_body();
    b.lowering.insert(b.lowering.begin() + 1, LoweringEntry::hardening());
    auto view = std::vector<codec::LoweringEntry>{};
    std::vector<std::string> ids;
    for (const auto& e : b.lowering) {
        codec::LoweringEntry c;
        ids.push_back(e.id);
        c.phase_code = e.phase_code;
        view.push_back(c);
    }
    for (size_t i = 0; i < view.size(); ++i)
        view[i].id = codec::Str{ids[i].data(), static_cast<uint32_t>(ids[i].size())};
    codec::Schedule s = codec::summarize({view.data(), view.size()});
    CHECK(s.hardening == 1);
    CHECK(s.hardened());
    CHECK(codec::confinement_result(s) == codec::PhaseResult::Applied);
    CHECK_FALSE(codec::summarize({view.data(), 1}).hardened()); // scrub alone
}

TEST_CASE("plan JSON mirrors the extensions' canonical rules", "[unit][extensions]") {
    std::string j = to_json(extended_body());
    CHECK_THAT(j, ContainsSubstring("\"keep_capabilities\":[10,40,63]"));
    CHECK_THAT(j, ContainsSubstring("\"landlock_min_abi\":200"));
    auto error_of = [&](const std::string& from, const std::string& to) {
        std::string edited = j;
        auto at = edited.find(from);
        REQUIRE(at != std::string::npos);
        edited.replace(at, from.size(), to);
        try {
            (void)from_json(edited, true);
        } catch (const JsonError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(error_of("[10,40,63]", "[40,10]"), ContainsSubstring("strictly ascending"));
    CHECK_THAT(error_of("[10,40,63]", "[]"), ContainsSubstring("empty"));
    CHECK_THAT(error_of("[10,40,63]", "[64]"), ContainsSubstring("out of range"));
    CHECK_THAT(error_of("\"landlock_min_abi\":200", "\"landlock_min_abi\":1"),
               ContainsSubstring("2 or more"));
    CHECK_THAT(error_of("\"allow_signals\":{}", "\"allow_signals\":true"),
               ContainsSubstring("target.allow_signals"));
}

TEST_CASE("target.network: one encoding, paired with its entry", "[unit][extensions]") {
    LaunchBody b = happy_body();
    NetworkPolicy p;
    p.tcp_connect.port[p.tcp_connect.count++] = 80;
    p.tcp_connect.port[p.tcp_connect.count++] = 443;
    b.target.network = p;
    // The field alone: upstream would ignore it and run with the network open.
    CHECK(check_code(b) == Error::NetworkPolicyWithoutEntry);
    b.lowering.insert(b.lowering.begin() + 1, LoweringEntry::network());
    b.bind_lowering();
    CHECK(check_code(b) == Error::Ok);
    auto bytes = encode_body(b);
    CHECK(decode_body(bytes) == b);
    CHECK(from_json(to_json(b), true) == b);
    // The wire form: `network` then {tcp_connect: [80, 443], tcp_bind: []}.
    const std::string wire = text_hex("network") + "82" + "ab" + text_hex("tcp_connect") +
                             "9250cd01bb" + "a8" + text_hex("tcp_bind") + "90";
    CHECK_THAT(hex(bytes), ContainsSubstring("a7" + wire));
    // A second encoding of the same ports is refused: unordered, repeated.
    std::string h = hex(bytes);
    auto swap = [&](const std::string& from, const std::string& to) {
        std::string s = h;
        s.replace(s.find(from), from.size(), to);
        std::vector<uint8_t> out;
        for (size_t i = 0; i < s.size(); i += 2)
            out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
        return decode_status(out).code;
    };
    CHECK(swap("9250cd01bb", "92cd01bb50") == Error::PortOrder);
    CHECK(swap("9250cd01bb", "925050") == Error::PortOrder);
    // The entry alone means nothing.
    b.target.network.reset();
    CHECK(check_code(b) == Error::NetworkWithoutPolicy);
}
