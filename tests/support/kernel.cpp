// tests/support/kernel.cpp: see kernel.hpp.
#include "kernel.hpp"

#include "env.hpp"

#include <fstream>
#include <sstream>
#include <sys/syscall.h>
#include <unistd.h>

namespace bvisor::test {

namespace {
std::optional<std::string> read_small(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
constexpr long kNrLandlockCreateRuleset = 444;
} // namespace

long landlock_abi() {
    long r = ::syscall(kNrLandlockCreateRuleset, nullptr, 0, 1 /* VERSION */);
    return r < 0 ? 0 : r;
}

bool landlock_usable() { return landlock_abi() >= 1; }

bool landlock_scopes_available() { return landlock_abi() >= 6; }

bool seccomp_available() {
    auto s = read_small("/proc/sys/kernel/seccomp/actions_avail");
    return s && s->find_first_not_of(" \n") != std::string::npos;
}

bool userns_available() {
    auto max = read_small("/proc/sys/user/max_user_namespaces");
    if (max && std::stol(*max) == 0) return false;
    auto clone = read_small("/proc/sys/kernel/unprivileged_userns_clone");
    if (clone && std::stol(*clone) == 0) return false;
    return true;
}

std::optional<std::string> cgroup2_mount() {
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        // id parent major:minor root mountpoint options... - fstype source superoptions
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream rest(line.substr(dash + 3));
        std::string fstype;
        rest >> fstype;
        if (fstype != "cgroup2") continue;
        std::istringstream head(line.substr(0, dash));
        std::string id, parent, dev, root, mountpoint;
        head >> id >> parent >> dev >> root >> mountpoint;
        return mountpoint;
    }
    return std::nullopt;
}

} // namespace bvisor::test
