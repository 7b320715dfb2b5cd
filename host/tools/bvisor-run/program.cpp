// bvisor-run: PROGRAM found as a shell finds it, opened once (so the file judged is
// the file run), and a `#!` script's interpreter, as the kernel would run it.
#include "program.h"

#include "run.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bvisor::run {

// A path when the name has a '/'; otherwise the first executable regular file of that
// name in the caller's PATH (an unreadable one is remembered, for the error).
std::string resolve_program(const std::string& name) {
    auto check = [&](const std::string& path) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) fail(kExitNotFound, name + ": " + std::strerror(errno));
        if (S_ISDIR(st.st_mode)) fail(kExitCannotRun, name + ": is a directory");
        if (::access(path.c_str(), X_OK) != 0)
            fail(kExitCannotRun, name + ": " + std::strerror(errno));
        return path;
    };
    if (name.find('/') != std::string::npos) return check(name);
    const char* env_path = std::getenv("PATH");
    std::string path = env_path ? env_path : kDefaultPath;
    std::string denied;
    size_t start = 0;
    while (start <= path.size()) {
        size_t colon = path.find(':', start);
        std::string dir =
            path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        start = colon == std::string::npos ? path.size() + 1 : colon + 1;
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        struct stat st;
        if (::stat(candidate.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        if (denied.empty()) denied = candidate;
    }
    if (!denied.empty()) fail(kExitCannotRun, denied + ": " + std::strerror(EACCES));
    fail(kExitNotFound, name + ": command not found");
}

// PROGRAM (or an interpreter) opened once: O_PATH first (no device is ever opened for
// real, no fifo can block us), its type from that fd, then, for a regular file, an
// O_RDONLY | O_NONBLOCK fd for the same inode (O_PATH when it may not be read: it can
// still be executed). `name` is what the user typed, for messages.
Program open_program(const std::string& path, const std::string& name) {
    UniqueFd at(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!at)
        fail(errno == ENOENT ? kExitNotFound : kExitCannotRun, name + ": " + std::strerror(errno));
    struct stat st;
    if (::fstat(at.get(), &st) != 0) fail(kExitCannotRun, name + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) fail(kExitCannotRun, name + ": is a directory");
    if (!S_ISREG(st.st_mode)) fail(kExitCannotRun, name + ": not a regular file");
    UniqueFd rd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    struct stat again;
    if (rd &&
        (::fstat(rd.get(), &again) != 0 || again.st_dev != st.st_dev || again.st_ino != st.st_ino))
        fail(kExitCannotRun, name + ": changed while it was being opened");
    if (rd) return Program{path, std::move(rd), true};
    return Program{path, std::move(at), false};
}

// What the launcher executes: PROGRAM itself or, for a `#!` script, its interpreter
// with the script's path as an argument, as the kernel would run it. Left to the
// kernel, a script executed through a descriptor is named /dev/fd/N: its `$0`,
// `dirname "$0"` and `__file__` would point nowhere, and the descriptor would stay
// open. The line is read from the fd PROGRAM was opened as (so the file judged is the
// file run) and parsed as the kernel does: the interpreter up to the first blank, then
// at most one argument, the rest of the line trimmed.
Exec exec_for(Program program, const std::vector<std::string>& command) {
    char buf[256];
    ssize_t n = program.readable ? ::pread(program.fd.get(), buf, sizeof buf, 0) : -1;
    auto as_is = [&] { return Exec{std::move(program), std::nullopt, command}; };
    if (n < 3 || buf[0] != '#' || buf[1] != '!') return as_is(); // unreadable: the kernel decides
    std::string line(buf + 2, static_cast<size_t>(n) - 2);
    size_t nl = line.find('\n');
    if (nl == std::string::npos) return as_is(); // longer than the kernel reads: leave it to it
    line.resize(nl);
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    size_t i = 0;
    while (i < line.size() && blank(line[i]))
        ++i;
    size_t j = i;
    while (j < line.size() && !blank(line[j]))
        ++j;
    if (i == j || line[i] != '/') return as_is(); // no (absolute) interpreter: the kernel decides
    std::string interpreter = line.substr(i, j - i);
    std::vector<std::string> argv = {interpreter};
    size_t a = j, b = line.size();
    while (a < b && blank(line[a]))
        ++a;
    while (b > a && blank(line[b - 1]))
        --b;
    if (a < b) argv.push_back(line.substr(a, b - a));
    argv.push_back(command[0].find('/') == std::string::npos ? program.path : command[0]);
    argv.insert(argv.end(), command.begin() + 1, command.end());
    Program exe = open_program(interpreter, command[0] + ": interpreter " + interpreter);
    return Exec{std::move(exe), std::move(program), std::move(argv)};
}

} // namespace bvisor::run
