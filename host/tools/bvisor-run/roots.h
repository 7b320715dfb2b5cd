// bvisor-run: the roots a workload gets, each opened once and typed by why it is there
// (the option that named it, or the default that added it), and the private TMPDIR.
#pragma once

#include "bvisor/plan.hpp"
#include "bvisor/tmpdir.hpp"
#include "bvisor/unique_fd.hpp"
#include "program.h"
#include "run.h"

#include <string>
#include <vector>

namespace bvisor::run {

// Why a root is in the plan.
enum class Origin {
    Ro,
    Rw,
    Dev,
    Cgroup,
    SystemRoot,
    DefaultDevice,
    PrivateTmp,
    Program,
    Interpreter
};
const char* origin_name(Origin o); // for errors and --explain

// A root opened once: the grant is `fd`, the object it refers to, whatever `path`
// names later (the fd goes into the plan); `real` is where `path` led, read from the
// fd when --explain or the PROGRAM check needs it (real_of).
struct Root {
    std::string path;
    Role role;
    Origin origin;
    UniqueFd fd;
    Kind kind;
    std::string real;
};

// The roots the command line named (--ro, --rw, --dev), in its order; --cgroup's
// directory is opened too, as a check that it is one (it is not a root).
std::vector<Root> open_requested_roots(const Options& o);
// The default roots, after the user's: the system directories and the harmless
// devices, those that exist here.
void add_default_roots(const Options& o, std::vector<Root>& roots);

// Whether this run gets a private TMPDIR: asked for (no --no-tmp, not --dry-run, no
// TMPDIR in --env) and a base for it exists ($TMPDIR or /tmp).
bool wants_private_tmp(const Options& o);
// Makes it (fails naming the base); the caller holds it, so every exit removes it.
PrivateTmp make_private_tmp(const Options& o);
// Its grant: the directory's own descriptor, as a write root.
Root private_tmp_root(const PrivateTmp& tmp);

// PROGRAM (and a script's interpreter) must be executable inside the sandbox: when no
// directory root holds it and no file root is it, the file alone becomes a read root.
void cover_program(const Program& p, Origin why, std::vector<Root>& roots);

// Where a root's path led, from its fd (read once).
const std::string& real_of(Root& r);
// `p` made absolute, with ".", ".." and repeated slashes resolved by name only.
std::string lexical(const std::string& p);

} // namespace bvisor::run
