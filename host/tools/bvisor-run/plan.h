// bvisor-run: the plan a run launches, built from the opened program and roots.
#pragma once

#include "bvisor/spawn.hpp"
#include "program.h"
#include "roots.h"

#include <vector>

namespace bvisor::run {

// The plan, with the fds opened before moved into it (what --explain says of them was
// read from them first). attempt_id is random per run; plan_id is the BLAKE3 of the
// canonical target.
PreparedLaunch build_plan(const Options& o, Exec& exec, std::vector<Root>& roots);

// --dry-run: each slot's path on stderr, the plan's JSON on stdout.
void print_dry_run(const PreparedLaunch& prepared);

} // namespace bvisor::run
