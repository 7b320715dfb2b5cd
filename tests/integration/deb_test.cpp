// build/deb/bvisor_<version>_amd64.deb (`ninja deb`), installed for real: its contents
// and Depends as dpkg-deb reads them, `dpkg -i`, the installed bvisor-run's --version
// and the demo run against /usr/bin, then `dpkg --purge`, after which none of the
// package's files and none of the directories it created are left.
//
// Changes the machine while it runs (it is a package install), so it needs root and
// refuses to touch a bvisor that was installed before it started.
#include "../support/env.hpp"
#include "../support/process.hpp"

#include "bvisor/version.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <sys/stat.h>

using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;

namespace {

// dpkg runs maintainer tools (ldconfig) from the sbin directories.
const std::vector<std::string> kEnv = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};

ProcessResult run(const std::vector<std::string>& argv) { return run_process(argv, kEnv); }

bool package_installed() {
    auto q = run({"/usr/bin/dpkg-query", "-W", "-f=${Status}", "bvisor"});
    return q.exit_code == 0 && q.out == "install ok installed";
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

bool is_dir(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Purges the package when the test ends, however it ends.
struct Purge {
    ~Purge() {
        if (package_installed()) run({"/usr/bin/dpkg", "--purge", "bvisor"});
    }
};

} // namespace

TEST_CASE("the Debian package installs, runs the demo, and purges without a trace",
          "[deb][install][build]") {
    if (!running_as_root()) SKIP("installing a package with dpkg -i needs root");
    if (package_installed())
        SKIP("a bvisor package is already installed on this machine; the test will not "
             "replace it");
    std::string deb = deb_path();
    REQUIRE(file_exists(deb));

    // What dpkg-deb reads from the file: the paths, and Depends from dpkg-shlibdeps.
    auto contents = run({"/usr/bin/dpkg-deb", "-c", deb});
    REQUIRE(contents.exit_code == 0);
    for (const char* f :
         {"./usr/bin/bvisor-run", "./usr/bin/bvisor-plan", "./usr/bin/bvisor-linux-launcher",
          "./usr/lib/libbvisor.a", "./usr/lib/pkgconfig/bvisor.pc",
          "./usr/include/bvisor/spawn.hpp", "./usr/include/bvisor/codec/plan.h",
          "./usr/share/man/man1/bvisor-run.1.gz", "./usr/share/doc/bvisor/copyright",
          "./usr/share/doc/bvisor/changelog.gz"}) {
        INFO(f);
        CHECK_THAT(contents.out, ContainsSubstring(std::string(" ") + f + "\n"));
    }
    for (const auto& line : split_lines(contents.out)) {
        INFO(line);
        bool root_dir = line.size() >= 3 && line.compare(line.size() - 3, 3, " ./") == 0;
        CHECK((root_dir || line.find(" ./usr/") != std::string::npos)); // all under /usr
    }
    auto fields = run({"/usr/bin/dpkg-deb", "-f", deb, "Package", "Version", "Depends"});
    REQUIRE(fields.exit_code == 0);
    CHECK_THAT(fields.out, ContainsSubstring("Package: bvisor\n"));
    CHECK_THAT(fields.out, ContainsSubstring(std::string("Version: ") + bvisor::kVersion + "\n"));
    CHECK_THAT(fields.out, ContainsSubstring("libc6 (>= "));
    CHECK_THAT(fields.out, ContainsSubstring("libstdc++6 (>= "));

    // Which of the package's directories exist before it is installed (/usr/bin does).
    std::set<std::string> dirs_before;
    for (const auto& line : split_lines(contents.out)) {
        std::string path = line.substr(line.find(" ./") + 2);
        if (!path.empty() && path.back() == '/') path.pop_back();
        if (!path.empty() && is_dir(path)) dirs_before.insert(path);
    }

    Purge purge;
    auto install = run({"/usr/bin/dpkg", "-i", deb});
    INFO(install.out << install.err);
    REQUIRE(install.exit_code == 0);
    REQUIRE(package_installed());
    auto listed = run({"/usr/bin/dpkg", "-L", "bvisor"});
    REQUIRE(listed.exit_code == 0);
    std::vector<std::string> files = split_lines(listed.out);
    files.erase(std::remove(files.begin(), files.end(), "/."), files.end()); // the root
    CHECK(std::find(files.begin(), files.end(), "/usr/bin/bvisor-run") != files.end());
    for (const auto& f : files) {
        INFO(f);
        CHECK(file_exists(f));
    }

    auto version = run({"/usr/bin/bvisor-run", "--version"});
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, ContainsSubstring(bvisor::kVersion));
    auto pc = run({"/usr/bin/pkg-config", "--modversion", "bvisor"});
    CHECK(pc.out == std::string(bvisor::kVersion) + "\n");
    // The README's demo, against the installed binaries; it reads each verdict from
    // the disk and exits non-zero when the launch was refused.
    auto demo = run({"/bin/sh", source_path("host/tools/demo.sh"), "/usr/bin"});
    INFO(demo.out << demo.err);
    CHECK(demo.exit_code == 0);
    CHECK_THAT(demo.out, ContainsSubstring("1. read a secret outside the roots:      DENIED"));
    CHECK_THAT(demo.out, ContainsSubstring("2. write a file outside the write root:  DENIED"));
    CHECK_THAT(demo.out, ContainsSubstring("3. copy data/input.txt into out/:        ALLOWED"));

    auto removal = run({"/usr/bin/dpkg", "--purge", "bvisor"});
    INFO(removal.out << removal.err);
    REQUIRE(removal.exit_code == 0);
    CHECK_FALSE(package_installed());
    for (const auto& f : files) {
        if (dirs_before.count(f)) continue; // was there before; dpkg leaves it
        INFO(f << " is left after dpkg --purge");
        CHECK_FALSE(file_exists(f));
    }
}
