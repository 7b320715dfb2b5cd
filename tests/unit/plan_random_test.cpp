// Random plans: encode -> decode -> encode is the identity, JSON round trips, and an
// independent encoder (Debian's python3-msgpack, tests/support/msgpack_oracle.py)
// writes exactly the same body bytes.
#include "../support/env.hpp"
#include "../support/process.hpp"
#include "../support/random_plans.hpp"
#include "../support/vectors.hpp"

#include "bvisor/plan.hpp"
#include "bvisor/plan_json.hpp"

#include <catch2/catch_test_macros.hpp>

#include <random>
#include <sstream>

using namespace bvisor;
using namespace bvisor::test;

TEST_CASE("random plans round-trip through encode and decode", "[unit][random]") {
    std::mt19937_64 rng(std::random_device{}());
    for (int i = 0; i < 300; ++i) {
        LaunchBody b = random_body(rng);
        auto bytes = encode_body(b);
        LaunchBody back = decode_body(bytes);
        REQUIRE(back == b);
        REQUIRE(encode_body(back) == bytes);
        auto f = frame(bytes);
        REQUIRE(decode_frame(f) == b);
    }
}

TEST_CASE("random plans round-trip through JSON", "[unit][random]") {
    std::mt19937_64 rng(std::random_device{}());
    for (int i = 0; i < 200; ++i) {
        LaunchBody b = random_body(rng);
        std::string j = to_json(b);
        REQUIRE(j.find('\n') == std::string::npos);
        REQUIRE(from_json(j) == b);
    }
}

TEST_CASE("an independent MessagePack encoder writes the same bytes for random plans",
          "[unit][random]") {
    std::mt19937_64 rng(std::random_device{}());
    std::vector<LaunchBody> bodies;
    std::string input;
    for (int i = 0; i < 150; ++i) {
        bodies.push_back(random_body(rng));
        input += to_json(bodies.back()) + "\n";
    }
    auto r = run_process({"/usr/bin/python3", source_path("tests/support/msgpack_oracle.py")},
                         {"PATH=/usr/bin:/bin"}, input);
    INFO(r.err);
    REQUIRE(r.exit_code == 0); // python3-msgpack is a test dependency (toolchain/packages.txt)
    std::istringstream out(r.out);
    for (const auto& b : bodies) {
        std::string hex;
        REQUIRE(std::getline(out, hex));
        auto oracle = from_hex(hex);
        REQUIRE(hex_of(encode_body(b)) == hex);
        REQUIRE(decode_body(oracle) == b);
    }
}
