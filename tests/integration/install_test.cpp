// `ninja install` (toolchain/install.sh) into a DESTDIR, then the tree moved somewhere
// else: bvisor-run still finds its launcher and runs, the man page is there, and a
// program builds against the moved headers and library through bvisor.pc.
#include "../support/env.hpp"
#include "../support/process.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstdio>

using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("an installed tree works after it is moved", "[tools][install][build]") {
    TempDir dir("install");
    auto inst =
        run_process({"/bin/sh", source_path("toolchain/install.sh")},
                    {"PATH=/usr/bin:/bin", "DESTDIR=" + dir / "stage", "PREFIX=/opt/bvisor"});
    INFO(inst.out << inst.err);
    REQUIRE(inst.exit_code == 0);
    std::string moved = dir / "elsewhere";
    REQUIRE(std::rename((dir / "stage/opt/bvisor").c_str(), moved.c_str()) == 0);

    for (const char* f : {"bin/bvisor-run", "bin/bvisor-plan", "bin/bvisor-linux-launcher",
                          "lib/libbvisor.a", "lib/pkgconfig/bvisor.pc", "include/bvisor/plan.hpp",
                          "include/bvisor/spawn.hpp", "include/bvisor/codec/plan.h",
                          "share/man/man1/bvisor-run.1", "share/doc/bvisor/PROTOCOL.md"}) {
        INFO(f);
        CHECK(file_exists(moved + "/" + f));
    }
    // The installed launcher is stripped, still static.
    auto elf = run_process({"/usr/bin/readelf", "-lW", moved + "/bin/bvisor-linux-launcher"});
    CHECK(elf.out.find("INTERP") == std::string::npos);
    CHECK(
        run_process({"/usr/bin/nm", moved + "/bin/bvisor-linux-launcher"}).err.find("no symbols") !=
        std::string::npos);

    auto run = run_process({moved + "/bin/bvisor-run", "--", "echo", "moved tree works"});
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out == "moved tree works\n");

    write_file(dir / "user.cpp", R"(#include <bvisor/plan.hpp>
#include <bvisor/spawn.hpp>
#include <cstdio>
int main() {
    bvisor::PlanBuilder b;
    b.exe("/bin/true").argv({"true"});
    auto p = b.build();
    std::printf("%zu slots, %zu-byte frame\n", p.body.descriptor_table.size(), bvisor::encode_frame(p.body).size());
}
)");
    auto build = run_shell("export PKG_CONFIG_PATH=" + moved + "/lib/pkgconfig; clang++ " +
                           dir / "user.cpp" + " $(pkg-config --cflags --libs bvisor) -o " +
                           dir / "user" + " && " + dir / "user");
    INFO(build.err);
    CHECK(build.exit_code == 0);
    CHECK_THAT(build.out, ContainsSubstring("1 slots, "));
}
