// bvisor-run: PROGRAM as a shell would find it, opened once, and what the launcher
// executes for it (PROGRAM itself, or a `#!` script's interpreter).
#pragma once

#include "bvisor/unique_fd.hpp"

#include <optional>
#include <string>
#include <vector>

namespace bvisor::run {

// PROGRAM (or an interpreter), opened once: an O_RDONLY fd, or O_PATH when it may be
// executed but not read; always a regular file.
struct Program {
    std::string path;
    UniqueFd fd;
    bool readable = false;
};

// A name with a '/' is a path; otherwise the first executable regular file of that
// name in the caller's PATH. Fails with 127 (not found) or 126 (cannot be run).
std::string resolve_program(const std::string& name);

// Opens `path` once (`name` is what the user typed, for messages). Fails as above.
Program open_program(const std::string& path, const std::string& name);

// What the launcher executes: PROGRAM itself or, for a `#!` script, its interpreter
// with the script's path as an argument, as the kernel would run it.
struct Exec {
    Program exe;                   // what the launcher executes
    std::optional<Program> script; // PROGRAM, when `exe` is its interpreter
    std::vector<std::string> argv;
};
Exec exec_for(Program program, const std::vector<std::string>& command);

} // namespace bvisor::run
