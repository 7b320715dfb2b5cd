// The launcher's control-channel contract (PROTOCOL.md section 6): without a usable
// BVISOR_CONTROL_FD it writes exactly one line to stderr and exits 4, and nothing
// else ever reaches its stdout or stderr.
#include "../support/env.hpp"
#include "../support/process.hpp"

#include <catch2/catch_test_macros.hpp>

using namespace bvisor::test;

namespace {
const std::string kNoControl = "bvisor-linux-launcher: no usable control channel fd\n";
}

TEST_CASE("launcher without BVISOR_CONTROL_FD says so on stderr and exits 4",
          "[launcher][contract]") {
    auto r = run_process({launcher_path()}, {});
    CHECK(r.exit_code == 4);
    CHECK(r.err == kNoControl);
    CHECK(r.out.empty());
}

TEST_CASE("launcher with a malformed BVISOR_CONTROL_FD says so and exits 4",
          "[launcher][contract]") {
    for (const char* value : {"", "x", "-1", "+3", "1 2", "2147483648", "99999999999", "0x1"}) {
        INFO("BVISOR_CONTROL_FD=" << value);
        auto r = run_process({launcher_path()}, {std::string("BVISOR_CONTROL_FD=") + value});
        CHECK(r.exit_code == 4);
        CHECK(r.err == kNoControl);
        CHECK(r.out.empty());
    }
}

TEST_CASE("launcher whose control fd is not open says so and exits 4", "[launcher][contract]") {
    auto r = run_process({launcher_path()}, {"BVISOR_CONTROL_FD= 77\n"});
    CHECK(r.exit_code == 4);
    CHECK(r.err == kNoControl);
}

TEST_CASE("launcher accepts a control fd written with surrounding blanks", "[launcher][contract]") {
    // fd 1 is the test's stdout pipe: the transcript lands there.
    auto r = run_process({launcher_path()}, {"BVISOR_CONTROL_FD=\t 1 \n"});
    CHECK(r.out.rfind("LauncherStarted\n", 0) == 0);
    CHECK(r.err.empty());
}
