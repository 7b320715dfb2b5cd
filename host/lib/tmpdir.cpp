// host/lib/tmpdir.cpp: see bvisor/tmpdir.hpp.
#include "bvisor/tmpdir.hpp"

#include "bvisor/unique_fd.hpp"

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace bvisor {

namespace {

// Empties the directory open at `dir` (which this function closes), depth first.
bool empty_dir(int dir) {
    DIR* d = ::fdopendir(dir);
    if (!d) {
        ::close(dir);
        return false;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    bool ok = true;
    int fd = ::dirfd(d);
    for (const auto& n : names) {
        if (::unlinkat(fd, n.c_str(), 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR && errno != EPERM) {
            ok = false;
            continue;
        }
        // A directory: O_NOFOLLOW, so a symlink swapped in is never entered.
        int sub = ::openat(fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 && errno == EACCES) {
            // The workload may have made it unreadable; it is ours, so we may chmod it.
            (void)::fchmodat(fd, n.c_str(), 0700, AT_SYMLINK_NOFOLLOW);
            sub = ::openat(fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (sub < 0) {
            ok = false;
            continue;
        }
        struct stat st;
        if (::fstat(sub, &st) == 0 && (st.st_mode & 0700) != 0700) (void)::fchmod(sub, 0700);
        ok = empty_dir(sub) && ok;
        if (::unlinkat(fd, n.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) ok = false;
    }
    ::closedir(d);
    return ok;
}

} // namespace

bool remove_tree(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT;
    (void)::fchmod(fd, 0700);
    bool ok = empty_dir(fd);
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) ok = false;
    return ok;
}

PrivateTmp::PrivateTmp(const std::string& base) {
    std::string templ = (base.empty() ? "/tmp" : base) + "/bvisor-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
        throw HostError("cannot create a private temporary directory under " + base, errno);
    path_ = buf.data(); // mkdtemp makes it 0700
}

PrivateTmp::PrivateTmp(PrivateTmp&& o) noexcept
    : path_(std::exchange(o.path_, std::string())), kept_(o.kept_) {}

PrivateTmp& PrivateTmp::operator=(PrivateTmp&& o) noexcept {
    if (this != &o) {
        remove();
        path_ = std::exchange(o.path_, std::string());
        kept_ = o.kept_;
    }
    return *this;
}

bool PrivateTmp::remove() {
    if (path_.empty() || kept_) return true;
    bool ok = remove_tree(path_);
    path_.clear();
    return ok;
}

} // namespace bvisor
