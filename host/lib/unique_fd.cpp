// host/lib/unique_fd.cpp: see bvisor/unique_fd.hpp.
#include "bvisor/unique_fd.hpp"

#include <cstring>
#include <unistd.h>

namespace bvisor {

HostError::HostError(const std::string& what, int err)
    : Exception(err ? what + ": " + std::strerror(err) : what), err_(err) {}

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

} // namespace bvisor
