// bvisor-run: the roots, each opened once before anything runs (so an error names the
// path the user typed, and the grant is the object checked), the defaults added after
// the user's, the private TMPDIR, and PROGRAM's own root when no other covers it.
#include "roots.h"

#include "bvisor/spawn.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bvisor::run {
namespace {

// The devices every program may use unless --no-default-devices.
constexpr const char* kDefaultRwDevices[] = {"/dev/null", "/dev/zero", "/dev/full"};
constexpr const char* kDefaultRoDevices[] = {"/dev/random", "/dev/urandom"};

// One path the workload may use, as named, and why.
struct RootRequest {
    std::string path;
    Role role;
    Origin origin;
};

std::string real_path(const std::string& p) {
    char buf[PATH_MAX];
    if (!::realpath(p.c_str(), buf)) return p;
    return buf;
}

bool beneath(const std::string& path, const std::string& root) {
    if (root == "/") return true;
    return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
           path[root.size()] == '/';
}

// What kind of root a path is, for checks and --explain ("" if it cannot be one).
std::string root_kind(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return "";
    if (S_ISDIR(st.st_mode)) return "directory";
    if (S_ISREG(st.st_mode)) return "file";
    if (S_ISCHR(st.st_mode)) return "device";
    return "";
}

// The path an fd refers to now, from /proc (or `fallback` without /proc).
std::string fd_path(int fd, const std::string& fallback) {
    char link[64], target[PATH_MAX];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<size_t>(n)) : real_path(fallback);
}

// Opens a root once, before anything runs, so that an error names the path the user
// typed and the grant is the object checked: O_PATH (which opens no device and never
// blocks on a fifo), the type read from that fd, then a directory opened for reading
// through it.
Root open_root(const RootRequest& a) {
    auto refuse = [&](const std::string& why) {
        fail(kExitFailed, std::string(origin_name(a.origin)) + " " + a.path + ": " + why);
    };
    UniqueFd fd(::open(a.path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) refuse(std::strerror(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) refuse(std::strerror(errno));
    if (a.origin == Origin::Dev && !S_ISCHR(st.st_mode)) refuse("not a character device");
    if (S_ISBLK(st.st_mode))
        refuse("a block device is never granted (it would expose a whole disk past every root)");
    Kind kind = S_ISDIR(st.st_mode)   ? Kind::Directory
                : S_ISREG(st.st_mode) ? Kind::Regular
                : S_ISCHR(st.st_mode)
                    ? Kind::CharDevice
                    : (refuse("not a directory, file or character device"), Kind::Directory);
    if (kind == Kind::Directory) {
        UniqueFd dir(::openat(fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir) refuse(std::strerror(errno));
        fd = std::move(dir);
    }
    return Root{a.path, a.role, a.origin, std::move(fd), kind, ""};
}

UniqueFd dup_fd(int fd) {
    int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (d < 0) fail(kExitFailed, std::string("fcntl(F_DUPFD_CLOEXEC): ") + std::strerror(errno));
    return UniqueFd(d);
}

} // namespace

const char* origin_name(Origin o) { // for errors and --explain
    switch (o) {
    case Origin::Ro:
        return "--ro";
    case Origin::Rw:
        return "--rw";
    case Origin::Dev:
        return "--dev";
    case Origin::Cgroup:
        return "--cgroup";
    case Origin::SystemRoot:
        return "system root";
    case Origin::DefaultDevice:
        return "default device";
    case Origin::PrivateTmp:
        return "private TMPDIR";
    case Origin::Program:
        return "PROGRAM";
    case Origin::Interpreter:
        return "interpreter";
    }
    return "?";
}

std::vector<Root> open_requested_roots(const Options& o) {
    std::vector<Root> roots;
    for (const auto& a : o.roots) {
        Origin origin = a.option == RootOption::Ro   ? Origin::Ro
                        : a.option == RootOption::Rw ? Origin::Rw
                                                     : Origin::Dev;
        roots.push_back(open_root(RootRequest{
            a.path, a.option == RootOption::Ro ? Role::ReadRoot : Role::WriteRoot, origin}));
    }
    if (!o.cgroup.empty()) (void)open_root(RootRequest{o.cgroup, Role::ReadRoot, Origin::Cgroup});
    return roots;
}

void add_default_roots(const Options& o, std::vector<Root>& roots) {
    auto add = [&](const std::string& path, Role role, Origin origin, const char* kind) {
        if (root_kind(path) == kind) roots.push_back(open_root(RootRequest{path, role, origin}));
    };
    if (o.system_roots)
        for (const auto& p : system_exec_roots())
            add(p, Role::ReadRoot, Origin::SystemRoot, "directory");
    if (o.default_devices) {
        for (const char* d : kDefaultRwDevices)
            add(d, Role::WriteRoot, Origin::DefaultDevice, "device");
        for (const char* d : kDefaultRoDevices)
            add(d, Role::ReadRoot, Origin::DefaultDevice, "device");
    }
}

// An image with no /tmp and no $TMPDIR simply gets none.
bool wants_private_tmp(const Options& o) {
    const char* base = std::getenv("TMPDIR");
    bool has_base = (base && *base) || root_kind("/tmp") == "directory";
    return o.tmp && !o.dry_run && !o.has_env("TMPDIR") && has_base;
}

PrivateTmp make_private_tmp(const Options& o) {
    const char* base = std::getenv("TMPDIR");
    PrivateTmp tmp;
    try {
        // Absolute: a relative TMPDIR would be lost by the first chdir of PROGRAM.
        tmp = PrivateTmp(real_path(base && *base ? base : "/tmp"));
    } catch (const std::exception& e) {
        fail(kExitFailed, std::string(e.what()) + " (or use --no-tmp)");
    }
    if (o.keep_tmp) tmp.keep();
    return tmp;
}

Root private_tmp_root(const PrivateTmp& tmp) {
    return Root{tmp.path(),       Role::WriteRoot, Origin::PrivateTmp,
                dup_fd(tmp.fd()), Kind::Directory, tmp.path()};
}

// Never the file's directory: that could be $HOME, /tmp with every other run's TMPDIR,
// or / (issue 19 F07, F08).
void cover_program(const Program& p, Origin why, std::vector<Root>& roots) {
    struct stat st;
    if (::fstat(p.fd.get(), &st) != 0) fail(kExitCannotRun, p.path + ": " + std::strerror(errno));
    std::string real = fd_path(p.fd.get(), p.path);
    // A real path has no symlink in it, so one beneath a root's path as given is beneath
    // the root; only when none is does each directory root's own fd say where it is.
    for (bool by_fd : {false, true}) {
        for (auto& r : roots) {
            struct stat rs;
            if (r.kind == Kind::Directory && beneath(real, by_fd ? real_of(r) : lexical(r.path)))
                return;
            if (!by_fd && r.kind == Kind::Regular && ::fstat(r.fd.get(), &rs) == 0 &&
                rs.st_dev == st.st_dev && rs.st_ino == st.st_ino)
                return;
        }
    }
    roots.push_back(Root{p.path, Role::ReadRoot, why, dup_fd(p.fd.get()), Kind::Regular, real});
}

// Where a root's path led, from its fd (once; /proc readlink costs a lookup per root).
const std::string& real_of(Root& r) {
    if (r.real.empty()) r.real = fd_path(r.fd.get(), r.path);
    return r.real;
}

// `p` made absolute and with ".", ".." and repeated slashes resolved by name only:
// what it would be were no symlink on the way.
std::string lexical(const std::string& p) {
    std::string whole = p;
    if (p.empty() || p[0] != '/') {
        char cwd[PATH_MAX];
        whole = std::string(::getcwd(cwd, sizeof cwd) ? cwd : ".") + "/" + p;
    }
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < whole.size()) {
        size_t j = whole.find('/', i);
        if (j == std::string::npos) j = whole.size();
        std::string part = whole.substr(i, j - i);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        i = j + 1;
    }
    std::string out;
    for (const auto& part : parts)
        out += "/" + part;
    return out.empty() ? "/" : out;
}

} // namespace bvisor::run
