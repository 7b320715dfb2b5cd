// tests/support/tools.hpp: running the built tools (bvisor-run) the way a user does,
// as root or as uid 65534.
//
// The tool and the launcher beside it are run from copies in a 0755 directory, so that
// uid 65534 can execute them whatever the checkout's permissions; the unprivileged
// identity is had through setpriv(1), like a user would.
#pragma once

#include "process.hpp"

#include <string>
#include <vector>

namespace bvisor::test {

// bvisor-run (and the launcher beside it), copied where uid 65534 can run them.
std::string run_tool();

// The command line that runs `args` through bvisor-run as root or as uid 65534.
std::vector<std::string> bvisor_run_argv(std::vector<std::string> args, bool unprivileged);

// The environment bvisor-run gets: a user's PATH, a HOME, a UTF-8 locale, plus `extra`.
std::vector<std::string> user_env(const std::vector<std::string>& extra = {});

// Runs bvisor-run ARGS to the end (stdin = `input`), capturing stdout and stderr.
ProcessResult bvisor_run(std::vector<std::string> args, bool unprivileged = false,
                         const std::string& input = "",
                         const std::vector<std::string>& extra_env = {});

// Newlines in `s`.
size_t lines(const std::string& s);

} // namespace bvisor::test
