// configure.py and the build itself, in a copy of the tree: two configure runs give
// byte-identical build.ninja (equal to the checked-in one), a rejected compiler fails
// with one line, and a second ninja has no work to do.
#include "../support/env.hpp"
#include "../support/process.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>

using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;

namespace {

std::string copy_tree(const TempDir& dir) {
    std::string dest = dir / "tree";
    auto r = run_shell("mkdir -p " + dest + " && tar -C " + source_path("") +
                       " --exclude=./build --exclude=./.git -cf - . | tar -C " + dest + " -xf -");
    REQUIRE(r.exit_code == 0);
    return dest;
}

size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace

TEST_CASE("configure.py is deterministic and matches the checked-in build.ninja", "[build]") {
    TempDir dir("configure");
    std::string tree = copy_tree(dir);
    std::string checked_in = read_file(tree + "/build.ninja");
    auto a = run_shell("cd " + tree + " && python3 configure.py");
    REQUIRE(a.exit_code == 0);
    std::string first = read_file(tree + "/build.ninja");
    auto b = run_shell("cd " + tree + " && python3 configure.py");
    REQUIRE(b.exit_code == 0);
    CHECK(read_file(tree + "/build.ninja") == first);
    CHECK(first == checked_in);
    CHECK(first.find(tree) == std::string::npos); // no absolute path of the checkout
}

TEST_CASE("configure.py fails with one line when the compiler cannot do the job", "[build]") {
    TempDir dir("configure-bad");
    std::string tree = copy_tree(dir);
    for (const char* cxx : {"g++", "/nonexistent/clang++"}) {
        auto r = run_shell("cd " + tree + " && python3 configure.py --cxx " + cxx);
        INFO(cxx << ": " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(lines(r.err) == 1);
        CHECK_THAT(r.err, StartsWith("configure.py: "));
    }
}

TEST_CASE("a second ninja has no work to do", "[build]") {
    TempDir dir("ninja-twice");
    std::string tree = copy_tree(dir);
    auto first =
        run_shell("cd " + tree +
                  " && python3 configure.py >/dev/null && ninja build/bin/bvisor-linux-launcher");
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK_THAT(first.out, ContainsSubstring("static, clean symbol table"));
    auto second = run_shell("cd " + tree + " && ninja build/bin/bvisor-linux-launcher");
    CHECK(second.exit_code == 0);
    CHECK(second.out == "ninja: no work to do.\n");
}
