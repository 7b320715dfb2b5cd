// tests/support/env.cpp: see env.hpp.
#include "env.hpp"

#include "bvisor/version.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <grp.h>
#include <unistd.h>

namespace bvisor::test {
namespace fs = std::filesystem;

namespace {

std::string self_dir() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return ".";
    return p.parent_path().string();
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return (v && *v) ? std::string(v) : fallback;
}

} // namespace

std::string bin_dir() { return env_or("BVISOR_BIN_DIR", self_dir()); }
std::string test_dir() { return env_or("BVISOR_TEST_DIR", bin_dir() + "/../test"); }
std::string source_path(const std::string& relative) {
    return env_or("BVISOR_SOURCE_ROOT", ".") + "/" + relative;
}
std::string launcher_path() { return bin_dir() + "/bvisor-linux-launcher"; }
std::string testhooks_launcher_path() { return test_dir() + "/bvisor-linux-launcher-testhooks"; }
std::string tool_path(const std::string& name) { return bin_dir() + "/" + name; }
std::string static_bin_dir() { return bin_dir() + "/../static/bin"; }
std::string deb_path() {
    return bin_dir() + "/../deb/bvisor_" + std::string(bvisor::kVersion) + "_amd64.deb";
}

bool kernel_features_required() {
    const char* v = std::getenv("BVISOR_REQUIRE_KERNEL_FEATURES");
    return v && std::strcmp(v, "1") == 0;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool file_exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("cannot write " + path);
        }
        off += static_cast<size_t>(n);
    }
    ::fchmod(fd, mode);
    ::close(fd);
}

TempDir::TempDir(const std::string& tag) {
    std::string templ = "/tmp/bvisor-" + tag + "-XXXXXX";
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    ::chmod(templ.c_str(), 0755);
    path_ = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string TempDir::mkdir(const std::string& name, mode_t mode) const {
    std::string p = path_ + "/" + name;
    if (::mkdir(p.c_str(), mode) != 0 && errno != EEXIST)
        throw std::runtime_error("mkdir " + p + ": " + std::strerror(errno));
    ::chmod(p.c_str(), mode);
    return p;
}

namespace {
struct ReachableDir {
    std::mutex mu;
    std::unique_ptr<TempDir> dir;
    std::map<std::string, std::string> copies;
};
ReachableDir& reachable() {
    static ReachableDir r;
    return r;
}
} // namespace

std::string reachable_copy(const std::string& path) {
    auto& r = reachable();
    std::lock_guard<std::mutex> lock(r.mu);
    if (!r.dir) r.dir = std::make_unique<TempDir>("bin");
    auto it = r.copies.find(path);
    if (it != r.copies.end()) return it->second;
    std::string dest = *r.dir / fs::path(path).filename().string();
    fs::copy_file(path, dest, fs::copy_options::overwrite_existing);
    ::chmod(dest.c_str(), 0755);
    r.copies[path] = dest;
    return dest;
}

bool running_as_root() { return ::geteuid() == 0; }

bool become_nobody() {
    return ::setgroups(0, nullptr) == 0 && ::setresgid(kNobody, kNobody, kNobody) == 0 &&
           ::setresuid(kNobody, kNobody, kNobody) == 0;
}

} // namespace bvisor::test
