// bvisor-run: what a run tells its user once it is over: the exit status and its one
// line, the --json-status object, --explain, and what the workload left running.
#pragma once

#include "bvisor/transcript.hpp"
#include "bvisor/unique_fd.hpp"
#include "roots.h"
#include "run.h"

#include <string>
#include <vector>

namespace bvisor::run {

// --json-status PATH, opened before anything runs: never through a symlink, never a
// fifo, created if missing. Fails naming the path.
UniqueFd open_status_file(const std::string& path);
// The status object, to --json-status-fd and to `status_file` (either may be absent);
// `obs` null when nothing ran (every fact null).
void write_status(const Options& o, int status_file, const Observation* obs);

// One line on stderr when processes the workload started outlived it.
void warn_survivors(const Options& o, const Observation& obs);
// --explain: every grant in force, then what the kernel applied.
void explain(std::vector<Root>& roots, const Observation& obs);
// The exit status for what happened (finish or fail). `program` is the path run.
[[noreturn]] void conclude(const Options& o, const std::string& program, const Observation& obs);

} // namespace bvisor::run
