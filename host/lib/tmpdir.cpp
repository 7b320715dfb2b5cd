// host/lib/tmpdir.cpp: see bvisor/tmpdir.hpp.
#include "bvisor/tmpdir.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/random.h>
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

namespace {

// `bvisor-` and six random letters or digits.
std::string random_name() {
    static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r[6];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = ::getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw HostError("getrandom", errno);
        got += static_cast<size_t>(n);
    }
    std::string name = "bvisor-";
    for (unsigned char c : r)
        name += kChars[c % (sizeof kChars - 1)];
    return name;
}

// As root: may another uid change the entries of the directory `st` describes?
bool writable_by_others(const struct stat& st) {
    if (st.st_uid != ::geteuid()) return true; // its owner may always rename in it
    return (st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX);
}

} // namespace

PrivateTmp::PrivateTmp(const std::string& base) {
    const std::string where = base.empty() ? "/tmp" : base;
    auto error = [&](const std::string& why, int err = 0) {
        return HostError("cannot create a private temporary directory under " + where + ": " + why,
                         err);
    };
    // The base is opened once (following the user's own symlinks, as TMPDIR may); every
    // later step is relative to it.
    base_ = UniqueFd(::open(where.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!base_) throw error("open", errno);
    struct stat bst;
    if (::fstat(base_.get(), &bst) != 0) throw error("fstat", errno);
    if (::geteuid() == 0 && writable_by_others(bst))
        throw error("another user may write it (owner uid " + std::to_string(bst.st_uid) +
                    ", mode " +
                    [&] {
                        char m[8];
                        std::snprintf(m, sizeof m, "%04o", bst.st_mode & 07777);
                        return std::string(m);
                    }() +
                    "), so it could put its own directory in place of ours; as root "
                    "the base must be root's, or sticky");
    for (int attempt = 0;; ++attempt) {
        name_ = random_name();
        if (::mkdirat(base_.get(), name_.c_str(), 0700) == 0) break;
        if (errno != EEXIST || attempt == 100) throw error("mkdir", errno);
    }
    dir_ = UniqueFd(
        ::openat(base_.get(), name_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    int open_err = errno;
    struct stat st, named;
    bool ours = dir_ && ::fstat(dir_.get(), &st) == 0 && S_ISDIR(st.st_mode) &&
                st.st_uid == ::geteuid() &&
                ::fstatat(base_.get(), name_.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
                named.st_dev == st.st_dev && named.st_ino == st.st_ino;
    if (!ours) {
        // Something replaced what we made before we could hold it: leave the name alone
        // (it is not ours any more) and refuse.
        int err = dir_ ? 0 : open_err;
        dir_.reset();
        throw error(name_ + " was replaced before it could be opened", err);
    }
    // A mode outside 0700 is not what mkdirat made: someone else's directory.
    if (st.st_mode & 07077) {
        dir_.reset();
        throw error(name_ + " was replaced before it could be opened");
    }
    // mkdir's mode was cut by the umask; ours is exactly 0700.
    if ((st.st_mode & 07777) != 0700 && ::fchmod(dir_.get(), 0700) != 0)
        throw error("fchmod", errno);
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    path_ = (where.back() == '/' ? where : where + "/") + name_;
}

PrivateTmp::PrivateTmp(PrivateTmp&& o) noexcept
    : path_(std::exchange(o.path_, std::string())), name_(std::move(o.name_)),
      base_(std::move(o.base_)), dir_(std::move(o.dir_)), dev_(o.dev_), ino_(o.ino_),
      kept_(o.kept_) {}

PrivateTmp& PrivateTmp::operator=(PrivateTmp&& o) noexcept {
    if (this != &o) {
        remove();
        path_ = std::exchange(o.path_, std::string());
        name_ = std::move(o.name_);
        base_ = std::move(o.base_);
        dir_ = std::move(o.dir_);
        dev_ = o.dev_;
        ino_ = o.ino_;
        kept_ = o.kept_;
    }
    return *this;
}

bool PrivateTmp::remove() {
    if (path_.empty() || kept_) return true;
    path_.clear();
    // Empty what we hold, whatever its name is now.
    int held = ::fcntl(dir_.get(), F_DUPFD_CLOEXEC, 0);
    bool ok = held >= 0 && empty_dir(held);
    dir_.reset();
    // Then its name, only while the name is still ours: a workload with the base as a
    // write root could have renamed ours away and put something else there.
    struct stat named;
    if (::fstatat(base_.get(), name_.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0)
        return ok && errno == ENOENT;
    if (named.st_dev != dev_ || named.st_ino != ino_) return false;
    if (::unlinkat(base_.get(), name_.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) ok = false;
    base_.reset();
    return ok;
}

} // namespace bvisor
