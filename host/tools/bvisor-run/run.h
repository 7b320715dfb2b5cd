// bvisor-run's shared vocabulary: its exit statuses, its options, and its one way out.
//
// The tool is split by what each part decides: main.cpp the ordered steps of a run and
// the signals; program.cpp finding and opening PROGRAM (and a script's interpreter);
// roots.cpp the roots (typed by their Origin) and the private TMPDIR; plan.cpp the plan
// built from them; report.cpp what a run tells the user (exit status, --json-status,
// --explain). The command line itself is the host library's table
// (bvisor/run_options.hpp).
#pragma once

#include "bvisor/run_options.hpp"

#include <string>

namespace bvisor::run {

// The conventions of env(1) and timeout(1).
constexpr int kExitFailed = 125;    // bvisor-run or the launcher refused or failed
constexpr int kExitCannotRun = 126; // PROGRAM was found but cannot be run
constexpr int kExitNotFound = 127;  // PROGRAM was not found

using Options = RunOptions;

// The one way out after a failure (main.cpp): the terminal gets its modes back, the
// --json-status object is written with every fact null, one line on stderr says why
// ("bvisor-run: LINE"), the private TMPDIR is removed, and bvisor-run exits `code`.
[[noreturn]] void fail(int code, const std::string& line);
// The way out after a result: the terminal's modes and the TMPDIR as above.
[[noreturn]] void finish(int code);

} // namespace bvisor::run
