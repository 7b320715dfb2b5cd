// bvisor/tmpdir.hpp: a private temporary directory for one workload, and removing a
// tree without following anything the workload planted in it.
//
// PrivateTmp opens the base directory once and creates `bvisor-XXXXXX` in it with
// mkdirat, then holds the new directory open (O_DIRECTORY | O_NOFOLLOW) and checks the
// held descriptor: a directory, owned by us, mode 0700, the very inode the name had
// when it was created. The descriptor, not the path, is what a workload is granted
// (fd()): a symlink or another directory swapped in under the name afterwards changes
// nothing (issue 19 F02). As root, a base that another uid may write (owned by another
// uid, or group- or world-writable without the sticky bit) is refused: its owner could
// rename our directory away and put theirs in its place.
//
// Removal empties the held directory (every step *at() relative to a descriptor opened
// O_NOFOLLOW; a directory the workload made unreadable is made readable, by its owner,
// first) and removes the name from the held base only while it still names our inode.
// remove_tree() is the same removal for a path the caller made.
#pragma once

#include "unique_fd.hpp"

#include <string>
#include <sys/types.h>

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
    // The directory itself (O_RDONLY | O_DIRECTORY), for a grant; -1 when inactive.
    int fd() const { return dir_.get(); }
    bool active() const { return !path_.empty(); }
    void keep() { kept_ = true; }
    bool kept() const { return kept_; }
    // Removes the tree now (no-op when kept or already removed). False if some of it
    // could not be removed.
    bool remove();

private:
    std::string path_, name_;
    UniqueFd base_, dir_;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
    bool kept_ = false;
};

// Removes `path` and everything beneath it; `path` itself must not be a symlink.
// False if anything could not be removed.
bool remove_tree(const std::string& path);

} // namespace bvisor
