// The plan frame (PROTOCOL.md section 2): the five rejects, in their order.
#include "bvisor/plan.hpp"

#include <catch2/catch_test_macros.hpp>

#include <string>

using namespace bvisor;
using codec::Error;

namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

codec::Status open_status(const std::vector<uint8_t>& f) {
    codec::Bytes body;
    return codec::open_frame(codec::Bytes{f.data(), f.size()}, &body);
}

} // namespace

TEST_CASE("a well-formed frame returns its body", "[unit][envelope]") {
    auto f = frame(bytes_of("payload"));
    REQUIRE(f.size() == 46 + 7);
    CHECK(std::string(f.begin(), f.begin() + 8) == "BVZLNCH1");
    CHECK(f[8] == 1);
    CHECK(f[9] == 0);
    CHECK(f[10] == 7);
    auto body = open_frame(f);
    CHECK(std::string(body.begin(), body.end()) == "payload");
}

TEST_CASE("45 zero bytes are Truncated", "[unit][envelope]") {
    CHECK(open_status(std::vector<uint8_t>(45, 0)).code == Error::FrameTruncated);
    CHECK(open_status({}).code == Error::FrameTruncated);
}

TEST_CASE("a smashed magic byte is BadMagic", "[unit][envelope]") {
    auto f = frame(bytes_of("hello"));
    f[0] ^= 0xff;
    CHECK(open_status(f).code == Error::BadMagic);
}

TEST_CASE("version 0xffff is UnsupportedVersion{0xffff}", "[unit][envelope]") {
    auto f = frame(bytes_of("hello"));
    f[8] = 0xff;
    f[9] = 0xff;
    auto st = open_status(f);
    CHECK(st.code == Error::UnsupportedVersion);
    CHECK(st.aux == 0xffff);
    f[8] = 2;
    f[9] = 0;
    CHECK(open_status(f).aux == 2);
}

TEST_CASE("one appended byte is LengthMismatch", "[unit][envelope]") {
    auto f = frame(bytes_of("hello"));
    f.push_back(0);
    CHECK(open_status(f).code == Error::LengthMismatch);
}

TEST_CASE("a body shorter than body_len is LengthMismatch, even at >= 46 bytes",
          "[unit][envelope]") {
    auto f = frame(bytes_of("hello"));
    f.pop_back();
    CHECK(open_status(f).code == Error::LengthMismatch);
    auto header_only = frame(bytes_of("hello"));
    header_only.resize(46);
    CHECK(open_status(header_only).code == Error::LengthMismatch);
}

TEST_CASE("a flipped body bit is DigestMismatch", "[unit][envelope]") {
    auto f = frame(bytes_of("hello"));
    f.back() ^= 0x01;
    CHECK(open_status(f).code == Error::DigestMismatch);
    auto g = frame(bytes_of("hello"));
    g[20] ^= 0x80; // in the stored digest
    CHECK(open_status(g).code == Error::DigestMismatch);
}

TEST_CASE("the first failing check wins, in the protocol's order", "[unit][envelope]") {
    auto f = frame(bytes_of("hello"));
    f[0] ^= 0xff;   // magic
    f[8] = 9;       // version
    f.push_back(0); // length
    CHECK(open_status(f).code == Error::BadMagic);
    f[0] ^= 0xff;
    CHECK(open_status(f).code == Error::UnsupportedVersion);
    f[8] = 1;
    CHECK(open_status(f).code == Error::LengthMismatch);
    f.pop_back();
    f.back() ^= 1;
    CHECK(open_status(f).code == Error::DigestMismatch);
    std::vector<uint8_t> short_bad(40, 'X');
    CHECK(open_status(short_bad).code == Error::FrameTruncated);
}

TEST_CASE("an empty body frames and opens", "[unit][envelope]") {
    auto f = frame({});
    CHECK(f.size() == 46);
    CHECK(open_frame(f).empty());
}
