// Strict canonical decoding (PROTOCOL.md section 3): exactly the bytes rmp_serde writes
// are accepted. Each non-canonical form is built by editing the canonical tree of a valid
// body (tests/support/mp_value.hpp) and must be refused with its own error, at the right
// byte.
#include "../support/mp_value.hpp"
#include "../support/sample_plans.hpp"

#include "bvisor/plan.hpp"

#include <catch2/catch_test_macros.hpp>

using namespace bvisor;
using namespace bvisor::test;
using codec::Error;

namespace {

Error refusal(const MpValue& v) { return decode_status(mp_encode(v)).code; }

// Offset of the first differing byte between a valid body and an edited one: where
// the decoder should point.
size_t first_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i])
        ++i;
    return i;
}

} // namespace

TEST_CASE("the test-side encoder reproduces the codec's canonical bytes", "[unit][strict]") {
    for (const auto& b : {happy_body(), full_body()}) {
        auto canonical = encode_body(b);
        CHECK(mp_encode(body_value(b)) == canonical);
        CHECK(decode_status(canonical).ok());
        CHECK(decode_body(canonical) == b);
    }
}

TEST_CASE("unknown keys are refused at every level", "[unit][strict]") {
    const LaunchBody b = full_body();
    auto extra = MpEntry{MpValue::str("extra"), MpValue::uint(1)};
    {
        MpValue v = body_value(b);
        v.entries.push_back(extra);
        CHECK(refusal(v) == Error::UnknownKey);
    }
    {
        MpValue v = body_value(b);
        v.at("target").entries.push_back(extra);
        CHECK(refusal(v) == Error::UnknownKey);
    }
    {
        MpValue v = body_value(b);
        v.at("descriptor_table").items[1].at("expected").entries.push_back(extra);
        auto bytes = mp_encode(v); // st.subject points into these bytes
        auto st = decode_status(bytes);
        CHECK(st.code == Error::UnknownKey);
        CHECK(std::string(st.where) == "descriptor_table[1].expected");
        CHECK(std::string(st.subject.ptr, st.subject.len) == "extra");
    }
    {
        MpValue v = body_value(b);
        v.at("target").at("user_namespace").entries.push_back(extra);
        CHECK(refusal(v) == Error::UnknownKey);
    }
}

TEST_CASE("missing keys are refused and named", "[unit][strict]") {
    const LaunchBody b = full_body();
    for (const char* key : {"attempt_id", "h_l", "lowering", "descriptor_table", "target"}) {
        MpValue v = body_value(b);
        v.erase(key);
        auto st = decode_status(mp_encode(v));
        INFO(key);
        CHECK(st.code == Error::MissingKey);
        REQUIRE(st.expected != nullptr);
        CHECK(std::string(st.expected) == key);
    }
    MpValue v = body_value(b);
    v.at("lowering").at("entries").items[0].erase("version");
    CHECK(refusal(v) == Error::MissingKey);
    MpValue w = body_value(b);
    w.at("target").at("seccomp").erase("deny_inet_sockets");
    CHECK(refusal(w) == Error::MissingKey);
}

TEST_CASE("duplicate keys are refused", "[unit][strict]") {
    MpValue v = body_value(full_body());
    v.entries.push_back(v.entries[v.index_of("target")]);
    CHECK(refusal(v) == Error::DuplicateKey);
    MpValue w = body_value(full_body());
    auto& slot = w.at("descriptor_table").items[0];
    slot.entries.insert(slot.entries.begin() + 1, slot.entries[0]);
    CHECK(refusal(w) == Error::DuplicateKey);
}

TEST_CASE("reordered keys are refused", "[unit][strict]") {
    MpValue v = body_value(full_body());
    std::swap(v.entries[0], v.entries[1]);
    CHECK(refusal(v) == Error::KeyOrder);
    MpValue w = body_value(full_body());
    auto& t = w.at("target");
    std::swap(t.entries[3], t.entries[4]); // user_namespace <-> network_namespace (optional)
    CHECK(refusal(w) == Error::KeyOrder);
    MpValue x = body_value(full_body());
    auto& e = x.at("lowering").at("entries").items[2];
    std::swap(e.entries[3], e.entries[4]);
    CHECK(refusal(x) == Error::KeyOrder);
}

TEST_CASE("non-minimal integer headers are refused", "[unit][strict]") {
    const LaunchBody b = full_body();
    auto canonical = encode_body(b);
    struct Case {
        const char* what;
        int width;
    };
    for (int width : {1, 2, 4, 8}) {
        MpValue v = body_value(b);
        v.at("descriptor_table").items[0].at("slot_index").width = width; // 10 fits a fixint
        auto bytes = mp_encode(v);
        auto st = decode_status(bytes);
        INFO("width " << width);
        CHECK(st.code == Error::NonCanonicalHeader);
        CHECK(st.offset == first_difference(canonical, bytes));
        CHECK(std::string(st.where) == "descriptor_table[0].slot_index");
    }
    MpValue v = body_value(b);
    v.at("lowering").at("entries").items[2].at("version").width = 4; // 300 fits uint16
    CHECK(refusal(v) == Error::NonCanonicalHeader);
    MpValue w = body_value(b);
    w.at("h_a").items[5].width = 2; // digest byte 0xa2 fits uint8
    CHECK(refusal(w) == Error::NonCanonicalHeader);
}

TEST_CASE("non-minimal string headers are refused", "[unit][strict]") {
    const LaunchBody b = full_body();
    MpValue v = body_value(b);
    v.at("target").at("argv").items[0].width = 1; // "sh" fits a fixstr
    CHECK(refusal(v) == Error::NonCanonicalHeader);
    MpValue w = body_value(b);
    w.at("target").at("argv").items[3].width = 2; // 40 bytes fit str8
    CHECK(refusal(w) == Error::NonCanonicalHeader);
    MpValue x = body_value(b);
    x.entries[0].first.width = 4; // a key
    CHECK(refusal(x) == Error::NonCanonicalHeader);
}

TEST_CASE("non-minimal array and map headers are refused", "[unit][strict]") {
    const LaunchBody b = full_body();
    MpValue v = body_value(b);
    v.at("target").at("argv").width = 2; // 4 elements fit a fixarray
    CHECK(refusal(v) == Error::NonCanonicalHeader);
    MpValue w = body_value(b);
    w.at("descriptor_table").width = 4;
    CHECK(refusal(w) == Error::NonCanonicalHeader);
    MpValue x = body_value(b);
    x.width = 2; // the body map
    CHECK(refusal(x) == Error::NonCanonicalHeader);
    MpValue y = body_value(b);
    y.at("h_p").width = 4; // 32 elements: array16 is minimal, array32 is not
    CHECK(refusal(y) == Error::NonCanonicalHeader);
}

TEST_CASE("a bin digest is refused", "[unit][strict]") {
    const LaunchBody b = full_body();
    for (const char* key : {"attempt_id", "h_l"}) {
        MpValue v = body_value(b);
        v.at(key) = MpValue::bin(std::string(32, '\x07'));
        auto st = decode_status(mp_encode(v));
        INFO(key);
        CHECK(st.code == Error::WrongType);
        CHECK(st.lead == 0xc4);
    }
    MpValue v = body_value(b);
    v.at("lowering").at("entries").items[0].at("param_digest") =
        MpValue::bin(std::string(32, '\0'));
    CHECK(refusal(v) == Error::WrongType);
}

TEST_CASE("digests of the wrong length or with out-of-range bytes are refused", "[unit][strict]") {
    MpValue v = body_value(full_body());
    v.at("plan_id").items.pop_back();
    CHECK(refusal(v) == Error::BadDigestLength);
    MpValue w = body_value(full_body());
    w.at("plan_id").items[3] = MpValue::uint(256);
    CHECK(refusal(w) == Error::IntegerOutOfRange);
}

TEST_CASE("integer enum indices are refused", "[unit][strict]") {
    MpValue v = body_value(full_body());
    v.at("descriptor_table").items[0].at("role") = MpValue::uint(2);
    auto st = decode_status(mp_encode(v));
    CHECK(st.code == Error::WrongType);
    MpValue w = body_value(full_body());
    w.at("descriptor_table").items[0].at("expected").at("kind") = MpValue::uint(1);
    CHECK(refusal(w) == Error::WrongType);
    MpValue x = body_value(full_body());
    x.at("descriptor_table").items[0].at("role") = MpValue::str("targetexe");
    CHECK(refusal(x) == Error::UnknownVariant);
}

TEST_CASE("an explicit nil for an optional field is refused", "[unit][strict]") {
    for (const char* key : {"user_namespace", "network_namespace", "seccomp"}) {
        MpValue v = body_value(full_body());
        v.at("target").at(key) = MpValue::nil();
        INFO(key);
        CHECK(refusal(v) == Error::NilOptional);
    }
    MpValue v = body_value(full_body());
    v.at("target").at("exe_slot") = MpValue::nil();
    CHECK(refusal(v) == Error::WrongType);
}

TEST_CASE("invalid UTF-8 is refused", "[unit][strict]") {
    for (const char* bad :
         {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82", "\x80"}) {
        MpValue v = body_value(full_body());
        v.at("target").at("argv").items[1] = MpValue::str(bad);
        CHECK(refusal(v) == Error::InvalidUtf8);
    }
    MpValue v = body_value(full_body());
    v.at("lowering").at("entries").items[0].at("id") = MpValue::str("linux.\xfe");
    CHECK(refusal(v) == Error::InvalidUtf8);
    MpValue ok = body_value(full_body());
    ok.at("target").at("argv").items[1] = MpValue::str("\xf0\x9f\x98\x80 \xe2\x82\xac");
    CHECK(refusal(ok) == Error::Ok);
}

TEST_CASE("trailing bytes after the body are refused", "[unit][strict]") {
    auto bytes = encode_body(full_body());
    for (uint8_t extra : {0x00, 0xc0, 0x80}) {
        auto b = bytes;
        b.push_back(extra);
        auto st = decode_status(b);
        CHECK(st.code == Error::TrailingBytes);
        CHECK(st.offset == bytes.size());
    }
}

TEST_CASE("every truncation of a valid body is refused", "[unit][strict]") {
    for (const auto& body : {happy_body(), full_body()}) {
        auto bytes = encode_body(body);
        for (size_t n = 0; n < bytes.size(); ++n) {
            std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
            auto st = decode_status(cut);
            INFO("length " << n << " of " << bytes.size());
            REQUIRE_FALSE(st.ok());
            CHECK(st.offset <= n);
        }
    }
}

TEST_CASE("wrong types and signed integers are refused", "[unit][strict]") {
    MpValue v = body_value(full_body());
    v.at("target").at("exe_slot") = MpValue::neg(1);
    CHECK(refusal(v) == Error::WrongType);
    MpValue w = body_value(full_body());
    w.at("descriptor_table").items[0].at("expected").at("writable") = MpValue::uint(0);
    CHECK(refusal(w) == Error::WrongType);
    MpValue x = body_value(full_body());
    x.at("target").at("envp").items[0] =
        MpValue::array({MpValue::str("A"), MpValue::str("b"), MpValue::str("c")});
    CHECK(refusal(x) == Error::BadPairLength);
    MpValue y = body_value(full_body());
    y.at("lowering").at("entries").items[0].at("phase_code") = MpValue::uint(256);
    CHECK(refusal(y) == Error::IntegerOutOfRange);
    MpValue z = body_value(full_body());
    z.at("lowering").at("entries").items[0].at("version") = MpValue::uint(1ULL << 32);
    CHECK(refusal(z) == Error::IntegerOutOfRange);
    CHECK(decode_status({0xc1}).code == Error::WrongType);
}

TEST_CASE("oversized counts and strings are refused before they are read", "[unit][strict]") {
    LaunchBody b = happy_body();
    {
        LaunchBody big = b;
        for (uint32_t i = 0; i < 1025; ++i)
            big.descriptor_table.push_back(
                DescriptorSlot{100 + i, Role::ReadRoot, Kind::Directory, false});
        auto st = decode_status(encode_body(big));
        CHECK(st.code == Error::TooManySlots);
        CHECK(st.aux == 1026);
    }
    {
        LaunchBody ok = b;
        for (uint32_t i = 1; i < 1024; ++i)
            ok.descriptor_table.push_back(
                DescriptorSlot{100 + i, Role::ReadRoot, Kind::Directory, false});
        CHECK(decode_status(encode_body(ok)).ok()); // exactly 1024
    }
    {
        LaunchBody big = b;
        big.lowering.resize(65, LoweringEntry::exec());
        CHECK(decode_status(encode_body(big)).code == Error::TooManyEntries);
        big.lowering.resize(64);
        CHECK(decode_status(encode_body(big)).ok());
    }
    {
        LaunchBody big = b;
        big.target.envp.clear();
        big.target.argv.assign(65536, "x");
        CHECK(decode_status(encode_body(big)).ok());
        big.target.envp = {{"A", "B"}};
        CHECK(decode_status(encode_body(big)).code == Error::TooManyStrings);
        big.target.argv.push_back("x");
        big.target.envp.clear();
        CHECK(decode_status(encode_body(big)).code == Error::TooManyStrings);
    }
    {
        LaunchBody big = b;
        big.target.argv = {std::string(131072, 'a')};
        CHECK(decode_status(encode_body(big)).ok());
        big.target.argv = {std::string(131073, 'a')};
        CHECK(decode_status(encode_body(big)).code == Error::StringTooLong);
        big.target.argv = {"x"};
        big.target.envp = {{"K", std::string(131073, 'v')}};
        CHECK(decode_status(encode_body(big)).code == Error::StringTooLong);
        // The string limit is for argv and envp strings only: a long id is bounded by the
        // plan size.
        LaunchBody id = b;
        id.lowering[0].id = std::string(200000, 'i');
        CHECK(decode_status(encode_body(id)).ok());
    }
    {
        // A count that promises far more than the input holds: refused, not read.
        MpValue v = body_value(b);
        v.at("target").at("argv") = MpValue::raw("\xdd\xff\xff\xff\xff");
        CHECK(refusal(v) == Error::TooManyStrings);
        // 65535 promised strings, none present: the input ends first.
        std::vector<uint8_t> target = {0x83, 0xa4, 'a', 'r', 'g', 'v', 0xdc, 0xff, 0xff};
        try {
            decode_target(target);
            FAIL("decoded a truncated target");
        } catch (const CodecError& e) {
            CHECK(e.status().code == Error::Truncated);
            CHECK(e.status().offset == target.size());
        }
    }
}

TEST_CASE("a refused body never reports success for any single-byte corruption", "[unit][strict]") {
    // Every byte of a canonical body, XORed with every bit: the result is either
    // refused or decodes to a body that re-encodes to exactly those bytes.
    auto bytes = encode_body(full_body());
    size_t refused = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            auto m = bytes;
            m[i] ^= static_cast<uint8_t>(1u << bit);
            if (!decode_status(m).ok()) {
                ++refused;
                continue;
            }
            INFO("byte " << i << " bit " << bit);
            CHECK(encode_body(decode_body(m)) == m);
        }
    }
    CHECK(refused > 0);
}
