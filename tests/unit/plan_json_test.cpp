// The JSON form of a plan (bvisor/plan_json.hpp): the documented example, strictness,
// and errors that name the field.
#include "../support/sample_plans.hpp"
#include "../support/vectors.hpp"

#include "bvisor/plan_json.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;

namespace {

std::string error_of(const std::string& text, bool require_h_l = true) {
    try {
        from_json(text, require_h_l);
    } catch (const JsonError& e) {
        return e.what();
    }
    return "";
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("the happy-path vector decodes to the documented JSON", "[unit][json]") {
    auto body = decode_frame(vector_bytes("frame_happy_scrub_exec.hex"));
    std::string z = std::string(64, '0');
    std::string j = to_json(body);
    CHECK(j.rfind("{\"attempt_id\":\"0707", 0) == 0);
    CHECK_THAT(j,
               ContainsSubstring(
                   "\"h_l\":\"5778618ec0ba9a273ea935511fb8dc8e87d55793e487a8939da0a6b13f0006c2\""));
    CHECK_THAT(j, ContainsSubstring(
                      "\"lowering\":{\"entries\":[{\"id\":\"linux.ambient.scrub.v1\",\"version\":1,"
                      "\"phase_code\":3,\"param_digest\":\"" +
                      z + "\",\"decl_digest\":\"" + z + "\"}"));
    CHECK_THAT(j,
               ContainsSubstring("\"descriptor_table\":[{\"slot_index\":10,\"role\":\"TargetExe\","
                                 "\"expected\":{\"kind\":\"Regular\",\"writable\":false}}]"));
    CHECK_THAT(j, ContainsSubstring("\"target\":{\"argv\":[\"true\"],\"envp\":[[\"PATH\",\"/usr/"
                                    "bin\"]],\"exe_slot\":10}}"));
    CHECK(from_json(j) == body);
}

TEST_CASE("optional target fields are absent or objects", "[unit][json]") {
    LaunchBody b = full_body();
    std::string j = to_json(b);
    CHECK_THAT(
        j, ContainsSubstring("\"user_namespace\":{},\"network_namespace\":{},"
                             "\"seccomp\":{\"deny_new_tasks\":true,\"deny_inet_sockets\":true}"));
    CHECK(from_json(j) == b);
    CHECK(to_json(happy_body()).find("namespace") == std::string::npos);
}

TEST_CASE("keys may come in any order on input", "[unit][json]") {
    LaunchBody b = happy_body();
    std::string j = to_json(b);
    // Move "attempt_id" to the end of the object.
    auto start = j.find("\"attempt_id\"");
    auto end = j.find(",", start);
    std::string attempt = j.substr(start, end - start);
    std::string moved = "{" + j.substr(end + 1, j.size() - end - 2) + "," + attempt + "}";
    CHECK(from_json(moved) == b);
}

TEST_CASE("--fix-hl semantics: h_l may be absent and is computed", "[unit][json]") {
    LaunchBody b = happy_body();
    std::string j = to_json(b);
    auto start = j.find("\"h_l\"");
    std::string without = j.substr(0, start) + j.substr(j.find(",", start) + 1);
    CHECK_THAT(error_of(without), ContainsSubstring("missing key \"h_l\""));
    CHECK(from_json(without, false) == b);
    LaunchBody wrong = b;
    wrong.h_l.fill(9);
    CHECK(from_json(to_json(wrong), false).h_l == b.h_l);
}

TEST_CASE("invalid JSON plans are refused with the field named", "[unit][json]") {
    std::string j = to_json(full_body());
    CHECK_THAT(error_of("{"), ContainsSubstring("invalid JSON"));
    CHECK_THAT(error_of("[]"), ContainsSubstring("expected an object"));
    CHECK_THAT(error_of(replace(j, "\"plan_id\"", "\"planid\"")),
               ContainsSubstring("unknown key \"planid\""));
    CHECK_THAT(error_of(replace(j, "\"h_a\":\"a2", "\"h_a\":\"A2")),
               ContainsSubstring("h_a: expected 64 lowercase hex"));
    CHECK_THAT(error_of(replace(j, "\"exe_slot\":10", "\"exe_slot\":-1")),
               ContainsSubstring("target.exe_slot"));
    CHECK_THAT(error_of(replace(j, "\"exe_slot\":10", "\"exe_slot\":4294967296")),
               ContainsSubstring("out of range"));
    CHECK_THAT(error_of(replace(j, "\"exe_slot\":10", "\"exe_slot\":1.5")),
               ContainsSubstring("non-integer"));
    CHECK_THAT(error_of(replace(j, "\"phase_code\":3", "\"phase_code\":256")),
               ContainsSubstring("lowering.entries[0].phase_code: 256 is out of range"));
    CHECK_THAT(error_of(replace(j, "\"role\":\"TargetExe\"", "\"role\":\"Exe\"")),
               ContainsSubstring("descriptor_table[0].role: \"Exe\" is not a DescriptorRole"));
    CHECK_THAT(error_of(replace(j, "\"kind\":\"Regular\"", "\"kind\":2")),
               ContainsSubstring("descriptor_table[0].expected.kind: expected a string"));
    CHECK_THAT(error_of(replace(j, "\"writable\":false", "\"writable\":null")),
               ContainsSubstring("found null"));
    CHECK_THAT(error_of(replace(j, "\"user_namespace\":{}", "\"user_namespace\":null")),
               ContainsSubstring("target.user_namespace: expected an object, found null"));
    CHECK_THAT(error_of(replace(j, "\"user_namespace\":{}", "\"user_namespace\":{\"x\":1}")),
               ContainsSubstring("unknown key \"x\""));
    CHECK_THAT(error_of(replace(j, "[\"PATH\",\"/usr/bin:/bin\"]", "[\"PATH\"]")),
               ContainsSubstring("target.envp[0]: expected [name, value]"));
    CHECK_THAT(error_of(replace(j, "{\"attempt_id\"",
                                "{\"plan_id\":\"" + std::string(64, '1') + "\",\"attempt_id\"")),
               ContainsSubstring("duplicate key \"plan_id\""));
    CHECK_THAT(error_of(replace(j, "\"deny_new_tasks\":true,", "")),
               ContainsSubstring("target.seccomp: missing key \"deny_new_tasks\""));
}

TEST_CASE("a deeply nested value under an unknown target key is refused by name, not walked",
          "[unit][json]") {
    std::string j = to_json(full_body());
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    for (const char* at : {"\"user_namespace\":{}", "\"seccomp\":{"}) {
        INFO(at);
        std::string edited = j;
        std::string key = at;
        std::string with = key.back() == '}' ? key.substr(0, key.size() - 1) + "\"x\":" + deep + "}"
                                             : key + "\"x\":" + deep + ",";
        edited.replace(edited.find(key), key.size(), with);
        CHECK_THAT(error_of(edited), ContainsSubstring("unknown key \"x\""));
    }
}
