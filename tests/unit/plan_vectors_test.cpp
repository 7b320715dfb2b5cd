// Every reference vector in tests/vectors, checked in both directions: the host's
// values encode to exactly the vector's bytes, and the bytes decode to those values.
#include "../support/vectors.hpp"

#include "bvisor/plan.hpp"
#include "codec/blake3.h"

#include <catch2/catch_test_macros.hpp>

#include <map>
#include <sstream>

using namespace bvisor;
using namespace bvisor::test;

namespace {

Digest filled(uint8_t b) {
    Digest d;
    d.fill(b);
    return d;
}

std::string b3(const std::vector<uint8_t>& v) {
    auto d = codec::Blake3::hash(v.data(), v.size());
    return hex_of(std::vector<uint8_t>(d.bytes, d.bytes + 32));
}

// The identity digests every upstream vector carries.
LaunchBody with_ids(LaunchBody b) {
    b.attempt_id = filled(7);
    b.plan_id = filled(1);
    b.h_a = filled(2);
    b.h_p = filled(3);
    return b;
}

DescriptorSlot slot(uint32_t i, Role r, Kind k, bool w = false) {
    return DescriptorSlot{i, r, k, w};
}

std::map<std::string, std::vector<LoweringEntry>> schedules() {
    auto S = LoweringEntry::scrub(), L = LoweringEntry::landlock(), C = LoweringEntry::seccomp(),
         E = LoweringEntry::exec();
    return {{"empty", {}},
            {"scrub_exec", {S, E}},
            {"scrub_landlock_exec", {S, L, E}},
            {"scrub_seccomp_exec", {S, C, E}},
            {"scrub_landlock_seccomp_exec", {S, L, C, E}}};
}

} // namespace

TEST_CASE("golden body (476 bytes) encodes and decodes byte-exactly", "[unit][vectors]") {
    auto bytes = vector_bytes("golden_body.hex");
    REQUIRE(bytes.size() == 476);
    CHECK(b3(bytes) == "f982af786aa15f4435d5f01676838a8320665f025f986f7477644a705f857d0d");

    LaunchBody b = with_ids({});
    b.h_l = *digest_from_hex("b51dd6e8ee23c64344f49be5193ee5c40669bb54fb1f6f75b2b92f137b542a19");
    b.descriptor_table = {slot(0, Role::TargetExe, Kind::Regular),
                          slot(1, Role::ReadRoot, Kind::Directory),
                          slot(2, Role::Stdout, Kind::Pipe, true)};
    b.target.argv = {"prog"};
    b.target.envp = {{"K", "V"}};
    b.target.exe_slot = 0;
    CHECK(encode_body(b) == bytes);
    CHECK(decode_body(bytes) == b);
    // Its h_l is an encoding vector, not the launcher binding (README of the vectors).
    CHECK(lowering_digest(b.lowering) != b.h_l);
}

TEST_CASE("standard schedules encode to the lowering vectors and bind their h_l",
          "[unit][vectors]") {
    std::map<std::string, std::pair<size_t, std::string>> derived;
    for (const auto& line : vector_lines("derived.txt")) {
        std::istringstream ls(line);
        std::string kind, name, len, hl;
        ls >> kind >> name >> len >> hl;
        if (kind == "lowering") derived[name] = {std::stoul(len.substr(4)), hl.substr(4)};
    }
    REQUIRE(derived.size() == 5);
    for (const auto& [name, entries] : schedules()) {
        INFO(name);
        auto bytes = vector_bytes("lowering_" + name + ".hex");
        CHECK(encode_lowering(entries) == bytes);
        CHECK(decode_lowering(bytes) == entries);
        CHECK(bytes.size() == derived[name].first);
        CHECK(to_hex(lowering_digest(entries)) == derived[name].second);
        CHECK(b3(bytes) == derived[name].second);
    }
}

TEST_CASE("happy-path frame (scrub+exec) encodes and decodes byte-exactly", "[unit][vectors]") {
    auto bytes = vector_bytes("frame_happy_scrub_exec.hex");
    REQUIRE(bytes.size() == 46 + 652);
    LaunchBody b = with_ids({});
    b.lowering = {LoweringEntry::scrub(), LoweringEntry::exec()};
    b.bind_lowering();
    b.descriptor_table = {slot(10, Role::TargetExe, Kind::Regular)};
    b.target.argv = {"true"};
    b.target.envp = {{"PATH", "/usr/bin"}};
    b.target.exe_slot = 10;
    CHECK(encode_frame(b) == bytes);
    CHECK(decode_frame(bytes) == b);
    CHECK_FALSE(verify_frame(bytes).has_value());
}

TEST_CASE("seed-shaped confined frame encodes and decodes byte-exactly", "[unit][vectors]") {
    auto bytes = vector_bytes("frame_seed_confined.hex");
    LaunchBody b = with_ids({});
    b.lowering = {LoweringEntry::scrub(), LoweringEntry::landlock(), LoweringEntry::exec()};
    b.bind_lowering();
    b.descriptor_table = {slot(10, Role::TargetExe, Kind::Regular),
                          slot(15, Role::ReadRoot, Kind::Directory),
                          slot(16, Role::WriteRoot, Kind::Directory)};
    for (uint32_t fd = 20; fd <= 25; ++fd)
        b.descriptor_table.push_back(slot(fd, Role::ReadRoot, Kind::Directory));
    b.target.argv = {"sh", "-c", "true"};
    b.target.envp = {{"PATH", "/usr/bin:/bin"}};
    b.target.exe_slot = 10;
    CHECK(encode_frame(b) == bytes);
    CHECK(decode_frame(bytes) == b);
    CHECK_FALSE(verify_frame(bytes).has_value());
}

TEST_CASE("target vectors with every option encode and decode byte-exactly", "[unit][vectors]") {
    std::map<std::string, std::string> derived;
    for (const auto& line : vector_lines("derived.txt")) {
        std::istringstream ls(line);
        std::string kind, name, hex;
        ls >> kind >> name >> hex;
        if (kind == "target" && name.find('=') == std::string::npos) derived[name] = hex;
    }
    TargetSpec all;
    all.argv = {"true"};
    all.exe_slot = 10;
    all.user_namespace = true;
    all.network_namespace = true;
    all.seccomp = SeccompRequest{true, true};
    TargetSpec tasks;
    tasks.argv = {"true"};
    tasks.exe_slot = 10;
    tasks.seccomp = SeccompRequest{true, false};
    for (auto& [name, t] :
         std::map<std::string, TargetSpec>{{"all_options", all}, {"seccomp_tasks", tasks}}) {
        INFO(name);
        auto bytes = vector_bytes("target_" + name + ".hex");
        CHECK(hex_of(bytes) == derived.at(name));
        CHECK(encode_target(t) == bytes);
        CHECK(decode_target(bytes) == t);
    }
}

TEST_CASE("slot_index encodes in its smallest integer form at every width boundary",
          "[unit][vectors]") {
    int seen = 0;
    for (const auto& line : vector_lines("derived.txt")) {
        std::istringstream ls(line);
        std::string kind, field, hex;
        ls >> kind >> field >> hex;
        if (kind != "slot") continue;
        uint32_t index = static_cast<uint32_t>(std::stoull(field.substr(field.find('=') + 1)));
        DescriptorSlot s = slot(index, Role::Stdin, Kind::Pipe, false);
        INFO("slot_index " << index);
        CHECK(hex_of(encode_slot(s)) == hex);
        CHECK(decode_slot(from_hex(hex)) == s);
        ++seen;
    }
    CHECK(seen == 7);
}

TEST_CASE("argv length and count boundaries match the derived vectors", "[unit][vectors]") {
    int seen = 0;
    for (const auto& line : vector_lines("derived.txt")) {
        std::istringstream ls(line);
        std::string kind, shape, total, hash, head;
        ls >> kind >> shape >> total >> hash >> head;
        if (kind != "target" || shape.find('=') == std::string::npos) continue;
        size_t n = std::stoul(shape.substr(shape.find('=') + 1));
        TargetSpec t;
        t.exe_slot = 0;
        if (shape.rfind("argv0_len", 0) == 0) {
            t.argv = {std::string(n, 'a')};
        } else {
            t.argv = std::vector<std::string>(n, "x");
        }
        auto bytes = encode_target(t);
        INFO(shape);
        CHECK(std::to_string(bytes.size()) == total.substr(6));
        CHECK(b3(bytes) == hash.substr(7));
        CHECK(hex_of(bytes).rfind(head.substr(5), 0) == 0);
        CHECK(decode_target(bytes) == t);
        ++seen;
    }
    CHECK(seen == 10);
}
