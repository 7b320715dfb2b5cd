// BLAKE3 (codec/blake3.cpp) against the official-input vectors and, differentially,
// against b3sum on random inputs.
#include "../support/env.hpp"
#include "../support/process.hpp"
#include "../support/vectors.hpp"

#include "codec/blake3.h"

#include <catch2/catch_test_macros.hpp>

#include <random>
#include <sstream>

using namespace bvisor::test;
using bvisor::codec::Blake3;

namespace {
std::string b3hex(const std::vector<uint8_t>& in) {
    auto d = Blake3::hash(in.data(), in.size());
    return hex_of(std::vector<uint8_t>(d.bytes, d.bytes + 32));
}
} // namespace

TEST_CASE("BLAKE3 matches the vectors at block and chunk boundaries", "[unit][blake3]") {
    auto lines = vector_lines("blake3.txt");
    REQUIRE(lines.size() >= 30);
    for (const auto& line : lines) {
        std::istringstream ls(line);
        size_t len;
        std::string want;
        ls >> len >> want;
        std::vector<uint8_t> in(len);
        for (size_t i = 0; i < len; ++i)
            in[i] = static_cast<uint8_t>(i % 251);
        INFO("length " << len);
        CHECK(b3hex(in) == want);
    }
}

TEST_CASE("BLAKE3 gives the same digest however the input is split", "[unit][blake3]") {
    std::mt19937_64 rng(1234);
    std::vector<uint8_t> in(5000);
    for (auto& b : in)
        b = static_cast<uint8_t>(rng());
    auto whole = Blake3::hash(in.data(), in.size());
    for (size_t step : {1u, 7u, 63u, 64u, 65u, 1023u, 1024u, 1025u, 4999u}) {
        Blake3 h;
        for (size_t off = 0; off < in.size(); off += step)
            h.update(in.data() + off, std::min(step, in.size() - off));
        auto d = h.finalize();
        INFO("step " << step);
        CHECK(bvisor::codec::digest_eq(d, whole));
    }
}

TEST_CASE("BLAKE3 agrees with b3sum on random inputs", "[unit][blake3]") {
    TempDir dir("b3");
    std::mt19937_64 rng(std::random_device{}());
    std::vector<size_t> lengths = {
        0, 1, 64, 1024, 1025, 2048, 3073, 65536, 100000 + rng() % 1000000};
    for (int i = 0; i < 30; ++i)
        lengths.push_back(rng() % 20000);
    std::string script = "cd " + dir.path() + " && b3sum --no-names";
    for (size_t i = 0; i < lengths.size(); ++i) {
        std::string data(lengths[i], '\0');
        for (auto& c : data)
            c = static_cast<char>(rng());
        write_file(dir / std::to_string(i), data);
        script += " " + std::to_string(i);
    }
    auto r = run_shell(script);
    REQUIRE(r.exit_code == 0); // b3sum is a test dependency (toolchain/packages.txt)
    std::istringstream out(r.out);
    for (size_t i = 0; i < lengths.size(); ++i) {
        std::string want;
        out >> want;
        auto bytes = read_file(dir / std::to_string(i));
        INFO("length " << lengths[i]);
        CHECK(b3hex(std::vector<uint8_t>(bytes.begin(), bytes.end())) == want);
    }
}
