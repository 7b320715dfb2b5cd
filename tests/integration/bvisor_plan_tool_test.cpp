// build/bin/bvisor-plan end to end: encode, decode (frame and --body), verify, and the
// error paths (exit 1 with one line; usage errors exit 2).
#include "../support/env.hpp"
#include "../support/process.hpp"
#include "../support/sample_plans.hpp"
#include "../support/vectors.hpp"

#include "bvisor/plan_json.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;

namespace {

ProcessResult plan_tool(std::vector<std::string> args, const std::string& input) {
    args.insert(args.begin(), tool_path("bvisor-plan"));
    return run_process(args, {}, input);
}

std::string bytes_str(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace

TEST_CASE("bvisor-plan decode/encode invert each other on every frame vector", "[tools][plan]") {
    for (const char* name : {"frame_happy_scrub_exec.hex", "frame_seed_confined.hex"}) {
        auto frame_bytes = bytes_str(vector_bytes(name));
        auto d = plan_tool({"decode"}, frame_bytes);
        INFO(name << ": " << d.err);
        REQUIRE(d.exit_code == 0);
        CHECK(lines(d.out) == 1);
        CHECK(d.out.back() == '\n');
        auto e = plan_tool({"encode"}, d.out);
        REQUIRE(e.exit_code == 0);
        CHECK(e.out == frame_bytes);
        CHECK(plan_tool({"verify"}, frame_bytes).exit_code == 0);
    }
}

TEST_CASE("bvisor-plan decode --body reads the bare golden body", "[tools][plan]") {
    auto body = bytes_str(vector_bytes("golden_body.hex"));
    auto d = plan_tool({"decode", "--body"}, body);
    REQUIRE(d.exit_code == 0);
    CHECK_THAT(d.out,
               ContainsSubstring("\"argv\":[\"prog\"],\"envp\":[[\"K\",\"V\"]],\"exe_slot\":0"));
    auto e = plan_tool({"encode"}, d.out);
    REQUIRE(e.exit_code == 0);
    CHECK(e.out.substr(46) == body);
    // The golden h_l does not bind its (empty) lowering: verify refuses like a launcher.
    auto v = plan_tool({"verify"}, e.out);
    CHECK(v.exit_code == 1);
    CHECK(lines(v.err) == 1);
    CHECK_THAT(v.err, ContainsSubstring("IdentityMismatch"));
}

TEST_CASE("bvisor-plan encode --fix-hl computes h_l", "[tools][plan]") {
    LaunchBody b = full_body();
    std::string j = to_json(b);
    auto start = j.find("\"h_l\"");
    std::string without = j.substr(0, start) + j.substr(j.find(",", start) + 1);
    CHECK(plan_tool({"encode"}, without).exit_code == 1);
    auto e = plan_tool({"encode", "--fix-hl"}, without);
    REQUIRE(e.exit_code == 0);
    CHECK(e.out == bytes_str(encode_frame(b)));
}

TEST_CASE("bvisor-plan encodes plans a launcher would refuse; verify names the refusal",
          "[tools][plan]") {
    LaunchBody b = happy_body();
    b.lowering = {LoweringEntry::exec()}; // no scrub
    b.bind_lowering();
    auto e = plan_tool({"encode"}, to_json(b));
    REQUIRE(e.exit_code == 0);
    auto v = plan_tool({"verify"}, e.out);
    CHECK(v.exit_code == 1);
    CHECK(v.err == "bvisor-plan: refused PlanInvalid: no scrub entry (linux.ambient.scrub.v1) in "
                   "the lowering\n");
}

TEST_CASE("bvisor-plan refuses bad input with one line, exit 1", "[tools][plan]") {
    auto frame_bytes = bytes_str(vector_bytes("frame_happy_scrub_exec.hex"));
    std::string bad_magic = frame_bytes;
    bad_magic[0] = 'X';
    struct Case {
        std::vector<std::string> args;
        std::string input;
        std::string want;
    };
    for (const auto& [args, input, want] : std::vector<Case>{
             {{"decode"}, bad_magic, "bad magic"},
             {{"verify"}, bad_magic, "refused PlanInvalid: frame: bad magic"},
             {{"decode"}, frame_bytes.substr(0, 100), "frame length does not match"},
             {{"decode", "--body"}, frame_bytes.substr(46, 100), "body ends inside a value"},
             {{"decode", "--body"},
              frame_bytes.substr(46) + "x",
              "trailing bytes after the body at byte 652"},
             {{"encode"}, "{\"x\":1}", "unknown key \"x\""},
             {{"encode"}, "not json", "invalid JSON"},
             {{"decode"}, "", "frame shorter than the 46-byte header"},
         }) {
        auto r = plan_tool(args, input);
        INFO(args[0] << ": " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(lines(r.err) == 1);
        CHECK_THAT(r.err, ContainsSubstring(want));
        CHECK(r.out.empty());
    }
}

TEST_CASE("bvisor-plan usage errors exit 2; --help and --version exit 0", "[tools][plan]") {
    CHECK(plan_tool({}, "").exit_code == 2);
    CHECK(plan_tool({"frobnicate"}, "").exit_code == 2);
    CHECK(plan_tool({"encode", "--body"}, "").exit_code == 2);
    auto h = plan_tool({"--help"}, "");
    CHECK(h.exit_code == 0);
    CHECK_THAT(h.out, ContainsSubstring("usage: bvisor-plan encode"));
    auto v = plan_tool({"--version"}, "");
    CHECK(v.exit_code == 0);
    CHECK_THAT(v.out, ContainsSubstring("bvisor-plan 0."));
}
