// host/lib/plan_builder.cpp: PlanBuilder, which opens a plan's fds and writes its body
// (bvisor/spawn.hpp).
#include "bvisor/spawn.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bvisor {

namespace {

UniqueFd open_or_throw(const std::string& path, int flags, const std::string& what) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) throw HostError("cannot open " + what + " " + path, errno);
    return UniqueFd(fd);
}

// A root's fd and kind: a directory is opened O_DIRECTORY; a regular file or a
// character device O_PATH (Landlock needs only the path, and a device must never be
// opened for real: opening one can have effects). The type is read from the fd that
// was opened, so a path swapped in between cannot change it.
std::pair<UniqueFd, Kind> open_root(const std::string& path, const std::string& what) {
    int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) throw HostError("cannot open " + what + " " + path, errno);
    UniqueFd held(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) throw HostError("cannot stat " + what + " " + path, errno);
    if (S_ISDIR(st.st_mode)) {
        int dir = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) throw HostError("cannot open " + what + " " + path, errno);
        return {UniqueFd(dir), Kind::Directory};
    }
    if (S_ISREG(st.st_mode)) return {std::move(held), Kind::Regular};
    if (S_ISCHR(st.st_mode)) return {std::move(held), Kind::CharDevice};
    const char* type = S_ISBLK(st.st_mode)    ? "a block device (never granted: it would expose a "
                                                "whole disk past every root)"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISFIFO(st.st_mode) ? "a fifo"
                                              : "not a directory, file or character device";
    throw HostError(what + " " + path + " is " + type);
}

// The kind of a root the caller opened, from the fd itself.
Kind kind_of_fd(int fd, const std::string& what) {
    struct stat st;
    if (::fstat(fd, &st) != 0) throw HostError("cannot stat " + what + " fd", errno);
    if (S_ISDIR(st.st_mode)) return Kind::Directory;
    if (S_ISREG(st.st_mode)) return Kind::Regular;
    if (S_ISCHR(st.st_mode)) return Kind::CharDevice;
    throw HostError(what + " fd " + std::to_string(fd) +
                    " is not a directory, a regular file or a character device");
}

} // namespace

// ------------------------------------------------------------------ PlanBuilder

const std::vector<std::string>& system_exec_roots() {
    static const std::vector<std::string> roots = {"/usr", "/lib",  "/lib64",
                                                   "/bin", "/sbin", "/etc"};
    return roots;
}

PlanBuilder::PlanBuilder(FdLayout layout) : layout_(layout) {}

PlanBuilder& PlanBuilder::exe(std::string path) {
    exe_path_ = std::move(path);
    return *this;
}
PlanBuilder& PlanBuilder::exe_fd(UniqueFd fd) {
    exe_fd_ = std::move(fd);
    return *this;
}
PlanBuilder& PlanBuilder::argv(std::vector<std::string> argv) {
    target_.argv = std::move(argv);
    return *this;
}
PlanBuilder& PlanBuilder::env(std::string name, std::string value) {
    target_.envp.emplace_back(std::move(name), std::move(value));
    return *this;
}
PlanBuilder& PlanBuilder::read_root(std::string path) {
    roots_.push_back(Root{std::move(path), Role::ReadRoot, UniqueFd()});
    return *this;
}
PlanBuilder& PlanBuilder::write_root(std::string path) {
    roots_.push_back(Root{std::move(path), Role::WriteRoot, UniqueFd()});
    return *this;
}
PlanBuilder& PlanBuilder::read_root(UniqueFd fd) {
    roots_.push_back(Root{"", Role::ReadRoot, std::move(fd)});
    return *this;
}
PlanBuilder& PlanBuilder::write_root(UniqueFd fd) {
    roots_.push_back(Root{"", Role::WriteRoot, std::move(fd)});
    return *this;
}
PlanBuilder& PlanBuilder::system_roots() {
    system_roots_ = true;
    return *this;
}
PlanBuilder& PlanBuilder::seccomp(SeccompRequest request) {
    target_.seccomp = request;
    return *this;
}
PlanBuilder& PlanBuilder::user_namespace() {
    target_.user_namespace = true;
    return *this;
}
PlanBuilder& PlanBuilder::network_namespace() {
    target_.network_namespace = true;
    return *this;
}
PlanBuilder& PlanBuilder::cgroup(std::string dir) {
    cgroup_ = std::move(dir);
    return *this;
}
PlanBuilder& PlanBuilder::require_hardening() {
    require_hardening_ = true;
    return *this;
}
PlanBuilder& PlanBuilder::keep_capabilities(uint64_t caps) {
    target_.keep_capabilities = caps;
    return *this;
}
PlanBuilder& PlanBuilder::allow_abstract_unix() {
    target_.allow_abstract_unix = true;
    return *this;
}
PlanBuilder& PlanBuilder::network(NetworkPolicy policy) {
    target_.network = policy;
    return *this;
}
PlanBuilder& PlanBuilder::allow_signals() {
    target_.allow_signals = true;
    return *this;
}
PlanBuilder& PlanBuilder::landlock_min_abi(uint8_t abi) {
    target_.landlock_min_abi = abi;
    return *this;
}
PlanBuilder& PlanBuilder::ids(const Digest& attempt_id, const Digest& plan_id, const Digest& h_a,
                              const Digest& h_p) {
    ids_[0] = attempt_id;
    ids_[1] = plan_id;
    ids_[2] = h_a;
    ids_[3] = h_p;
    return *this;
}

PreparedLaunch PlanBuilder::build() {
    PreparedLaunch out;
    LaunchBody& b = out.body;
    b.attempt_id = ids_[0];
    b.plan_id = ids_[1];
    b.h_a = ids_[2];
    b.h_p = ids_[3];

    UniqueFd exe = std::move(exe_fd_);
    if (!exe) {
        if (exe_path_.empty()) throw HostError("no program to run");
        int fd = ::open(exe_path_.c_str(), O_RDONLY | O_CLOEXEC);
        // An executable the caller may not read can still be executed through O_PATH.
        if (fd < 0 && errno == EACCES) fd = ::open(exe_path_.c_str(), O_PATH | O_CLOEXEC);
        if (fd < 0) throw HostError("cannot open program " + exe_path_, errno);
        exe = UniqueFd(fd);
    }
    b.descriptor_table.push_back(
        DescriptorSlot{static_cast<uint32_t>(layout_.exe), Role::TargetExe, Kind::Regular, false});
    out.grants.push_back(Grant{layout_.exe, std::move(exe)});

    bool first_read = true, first_write = true;
    int next_extra = layout_.extra_roots;
    auto add = [&](UniqueFd fd, Kind kind, Role role, int slot) {
        out.grants.push_back(Grant{slot, std::move(fd)});
        b.descriptor_table.push_back(
            DescriptorSlot{static_cast<uint32_t>(slot), role, kind, false});
    };
    auto add_root = [&](const std::string& path, Role role, int slot) {
        auto [fd, kind] = open_root(path, role == Role::ReadRoot ? "read root" : "write root");
        add(std::move(fd), kind, role, slot);
    };
    for (Root& r : roots_) {
        int slot;
        if (r.role == Role::ReadRoot && first_read) {
            slot = layout_.read_root;
            first_read = false;
        } else if (r.role == Role::WriteRoot && first_write) {
            slot = layout_.write_root;
            first_write = false;
        } else {
            slot = next_extra++;
        }
        if (r.fd) {
            Kind kind =
                kind_of_fd(r.fd.get(), r.role == Role::ReadRoot ? "read root" : "write root");
            add(std::move(r.fd), kind, r.role, slot);
        } else {
            add_root(r.path, r.role, slot);
        }
    }
    if (system_roots_) {
        int slot = layout_.system_roots;
        for (const auto& path : system_exec_roots()) {
            struct stat st;
            if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
            add_root(path, Role::ReadRoot, slot++);
        }
    }
    if (cgroup_) {
        out.grants.push_back(Grant{
            layout_.cgroup, open_or_throw(*cgroup_, O_RDONLY | O_DIRECTORY, "cgroup directory")});
        b.descriptor_table.push_back(DescriptorSlot{static_cast<uint32_t>(layout_.cgroup),
                                                    Role::CgroupDir, Kind::Directory, false});
    }
    std::sort(b.descriptor_table.begin(), b.descriptor_table.end(),
              [](const DescriptorSlot& x, const DescriptorSlot& y) {
                  return x.slot_index < y.slot_index;
              });

    bool any_root = std::any_of(b.descriptor_table.begin(), b.descriptor_table.end(),
                                [](const DescriptorSlot& s) {
                                    return s.role == Role::ReadRoot || s.role == Role::WriteRoot;
                                });
    b.lowering.push_back(LoweringEntry::scrub());
    if (any_root) b.lowering.push_back(LoweringEntry::landlock());
    if (target_.seccomp) b.lowering.push_back(LoweringEntry::seccomp());
    if (require_hardening_) b.lowering.push_back(LoweringEntry::hardening());
    if (target_.network) b.lowering.push_back(LoweringEntry::network());
    b.lowering.push_back(LoweringEntry::exec());
    b.bind_lowering();

    b.target = target_;
    b.target.exe_slot = static_cast<uint32_t>(layout_.exe);
    return out;
}

} // namespace bvisor
