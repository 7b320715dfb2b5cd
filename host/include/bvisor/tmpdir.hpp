// bvisor/tmpdir.hpp: a private temporary directory for one workload, and removing a
// tree without following anything the workload planted in it.
//
// PrivateTmp creates a fresh 0700 directory (mkdtemp) under a base directory and
// removes it, with everything in it, when it is destroyed or remove() is called,
// unless keep() was called. remove_tree() never follows a symlink and never leaves the
// tree: every step is *at() relative to an fd it opened with O_NOFOLLOW, and a
// directory the workload made unreadable is made readable (by its owner) first.
#pragma once

#include <string>

namespace bvisor {

class PrivateTmp {
public:
    PrivateTmp() = default;
    // Creates `<base>/bvisor-XXXXXX`; throws HostError naming the base on failure.
    explicit PrivateTmp(const std::string& base);
    ~PrivateTmp() { remove(); }
    PrivateTmp(PrivateTmp&& o) noexcept;
    PrivateTmp& operator=(PrivateTmp&& o) noexcept;
    PrivateTmp(const PrivateTmp&) = delete;
    PrivateTmp& operator=(const PrivateTmp&) = delete;

    const std::string& path() const { return path_; }
    bool active() const { return !path_.empty(); }
    void keep() { kept_ = true; }
    bool kept() const { return kept_; }
    // Removes the tree now (no-op when kept or already removed). False if some of it
    // could not be removed.
    bool remove();

private:
    std::string path_;
    bool kept_ = false;
};

// Removes `path` and everything beneath it; `path` itself must not be a symlink.
// False if anything could not be removed.
bool remove_tree(const std::string& path);

} // namespace bvisor
