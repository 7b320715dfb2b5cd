// tests/support/env.hpp: where the test binaries find things, scratch directories,
// file helpers, and the kernel-feature skip rule.
//
// Rule (README, "Tests"): a test that needs a kernel feature SKIPs with its reason
// when the feature is missing; with BVISOR_REQUIRE_KERNEL_FEATURES=1 (set by .ci/run)
// that skip is a failure instead.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <sys/types.h>

namespace bvisor::test {

// build/bin (BVISOR_BIN_DIR), build/test (BVISOR_TEST_DIR), the checkout (BVISOR_SOURCE_ROOT).
std::string bin_dir();
std::string test_dir();
std::string source_path(const std::string& relative);

std::string launcher_path();           // build/bin/bvisor-linux-launcher
std::string testhooks_launcher_path(); // build/test/bvisor-linux-launcher-testhooks
std::string tool_path(const std::string& name);
// The release artifacts beside build/bin: build/static/bin (the static tools and a
// launcher) and build/deb/bvisor_<version>_amd64.deb.
std::string static_bin_dir();
std::string deb_path();

bool kernel_features_required();

std::string read_file(const std::string& path);
bool file_exists(const std::string& path);
void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);

// A fresh directory under /tmp, removed with everything in it on destruction.
// Mode 0755 so an unprivileged launcher can traverse it.
class TempDir {
public:
    explicit TempDir(const std::string& tag = "t");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }
    std::string mkdir(const std::string& name, mode_t mode = 0755) const;

private:
    std::string path_;
};

// The program at `path`, copied once per test process into a 0755 directory that
// uid 65534 can reach (the checkout may be under /root). Returns the copy's path.
std::string reachable_copy(const std::string& path);

// True iff the test runs as root (it can then also drop to uid 65534).
bool running_as_root();
constexpr uid_t kNobody = 65534;
// In a forked child before exec: drop to uid/gid 65534 with no groups (setpriv's
// --reuid=65534 --regid=65534 --clear-groups). Async-signal-safe; false on failure.
bool become_nobody();

} // namespace bvisor::test

// Skip (or, with BVISOR_REQUIRE_KERNEL_FEATURES=1, fail) when `available` is false.
#define BVISOR_REQUIRE_KERNEL_FEATURE(available, reason)                                           \
    do {                                                                                           \
        if (!(available)) {                                                                        \
            if (::bvisor::test::kernel_features_required()) {                                      \
                FAIL("kernel feature required (BVISOR_REQUIRE_KERNEL_FEATURES=1): " << reason);    \
            } else {                                                                               \
                SKIP("kernel feature missing: " << reason);                                        \
            }                                                                                      \
        }                                                                                          \
    } while (0)
