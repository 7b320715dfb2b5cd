// tests/support/process.hpp: run a plain command and capture what it printed.
//
// For tests of tools and of the launcher's no-control-channel path; launches with a
// plan go through the host spawn library instead.
#pragma once

#include <string>
#include <vector>

namespace bvisor::test {

struct ProcessResult {
    int exit_code = -1; // when it exited
    int signal = 0;     // when it was killed
    std::string out;
    std::string err;
};

// Runs argv[0] (a path) with exactly `envp`, feeding `input` on stdin.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& envp = {"PATH=/usr/bin:/bin"},
                          const std::string& input = "");

// Runs `/bin/sh -c script` with the test's PATH.
ProcessResult run_shell(const std::string& script);

} // namespace bvisor::test
