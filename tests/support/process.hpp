// tests/support/process.hpp: run a plain command and capture what it printed.
//
// For tests of tools and of the launcher's no-control-channel path; launches with a
// plan go through the host spawn library instead.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace bvisor::test {

struct ProcessResult {
    int exit_code = -1;     // when it exited
    int signal = 0;         // when it was killed
    bool timed_out = false; // it outlived the bound and was killed (SIGKILL to its group)
    std::string out;
    std::string err;
};

// Runs argv[0] (a path) with exactly `envp`, feeding `input` on stdin. With a
// `bound`, the process leads a group of its own, and the group is killed (SIGKILL)
// once the bound has passed and the process has not ended.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& envp = {"PATH=/usr/bin:/bin"},
                          const std::string& input = "",
                          std::chrono::milliseconds bound = std::chrono::milliseconds(0));

// Runs `/bin/sh -c script` with the test's PATH.
ProcessResult run_shell(const std::string& script);

} // namespace bvisor::test
