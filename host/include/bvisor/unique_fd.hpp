// bvisor/unique_fd.hpp: an owned file descriptor, and HostError (an OS step failed).
#pragma once

#include "error.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace bvisor {

// A host-side failure: what was being done, and the errno when there was one.
class HostError : public Exception {
public:
    HostError(const std::string& what, int err = 0);
    int error() const { return err_; }

private:
    int err_;
};

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

} // namespace bvisor
