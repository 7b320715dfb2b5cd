// Birth inside a cgroup with CLONE_INTO_CGROUP (upstream launcher_cgroup_linux.rs).
// The gate is "a writable cgroup2 leaf can be created" (no controller is needed). The
// cgroup2 mount is found in /proc/self/mountinfo; every leaf made here is removed.
#include "../support/kernel.hpp"
#include "../support/launch.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <random>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using S = LauncherState;

namespace {

// The `0::<path>` line of a /proc/<pid>/cgroup text.
std::string unified_line(const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("0::", 0) == 0) return line;
    return "";
}

// A cgroup directory made under the cgroup2 mount; removed (deepest first) on exit.
struct CgroupTree {
    std::string mount;
    std::vector<std::string> made; // relative paths, in creation order
    bool ok = false;

    explicit CgroupTree(const std::string& name) {
        auto m = cgroup2_mount();
        if (!m) return;
        mount = *m;
        ok = add(name);
    }
    bool add(const std::string& rel) {
        if (::mkdir((mount + "/" + rel).c_str(), 0755) != 0) return false;
        made.push_back(rel);
        return true;
    }
    std::string path(const std::string& rel) const { return mount + "/" + rel; }
    ~CgroupTree() {
        for (auto it = made.rbegin(); it != made.rend(); ++it)
            ::rmdir(path(*it).c_str());
    }
};

std::string unique_name(const char* tag) {
    std::mt19937_64 rng(std::random_device{}());
    return std::string("bvisor-test-") + tag + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(rng() % 100000);
}

void chown_nobody(const std::string& path) {
    REQUIRE(::chown(path.c_str(), kNobody, kNobody) == 0);
}

} // namespace

TEST_CASE("cgroup: the workload is born in the prepared leaf", "[launcher][cgroup]") {
    std::string name = unique_name("leaf");
    CgroupTree tree(name);
    BVISOR_REQUIRE_KERNEL_FEATURE(tree.ok,
                                  "no writable cgroup2 leaf can be created (cgroup2 mount: "
                                      << (tree.mount.empty() ? "none" : tree.mount) << ")");
    Observation o = launch(shell("cat /proc/self/cgroup").cgroup(tree.path(name)).build());
    INFO(show(o));
    CHECK(unified_line(o.out) == "0::/" + name);
    CHECK(unified_line(read_file("/proc/self/cgroup")) != "0::/" + name); // the host is elsewhere
    CHECK(o.has_note("cgroup_placement=clone_into_cgroup"));
    CHECK(o.terminal == S::ExecSucceeded);
    // The leaf is empty again once the workload is gone, so it can be removed.
    CHECK(::rmdir(tree.path(name).c_str()) == 0);
    tree.made.clear();
}

TEST_CASE("cgroup: an open directory that is not a cgroup is a fault; nothing runs",
          "[launcher][cgroup]") {
    TempDir dir("notcg");
    std::string marker = dir / "ran";
    std::string fake = dir.mkdir("fake-cgroup");
    Observation o = launch(shell("touch " + marker).cgroup(fake).build());
    INFO(show(o));
    CHECK(o.terminal == S::SetupFaulted);
    CHECK_THAT(o.fault, ContainsSubstring("launcher OS fault: clone3: "));
    CHECK_THAT(o.fault, ContainsSubstring("(os error "));
    CHECK_FALSE(o.has_state(S::ChildCreated));
    CHECK(o.launcher.code == 4);
    CHECK_FALSE(file_exists(marker));
}

TEST_CASE("cgroup: a declared cgroup fd that is not open is HandleMismatch (check 9)",
          "[launcher][cgroup]") {
    TempDir dir("cgfd");
    std::string marker = dir / "ran";
    PreparedLaunch p = shell("touch " + marker).build();
    p.body.descriptor_table.push_back(DescriptorSlot{17, Role::CgroupDir, Kind::Directory, false});
    LaunchBody body = p.body;
    Observation o = launch_frame(encode_frame(body), std::move(p.grants));
    CHECK(o.refusal == RefusalReason::HandleMismatch);
    CHECK_THAT(o.detail, ContainsSubstring("slot 17 (CgroupDir): fd 17 is not open"));
    CHECK_FALSE(file_exists(marker));
}

TEST_CASE("cgroup as uid 65534: born in a delegated sibling of the launcher's own cgroup",
          "[launcher][cgroup]") {
    if (!running_as_root()) SKIP("needs root to prepare a delegated cgroup subtree");
    std::string parent = unique_name("deleg");
    CgroupTree tree(parent);
    BVISOR_REQUIRE_KERNEL_FEATURE(tree.ok && tree.add(parent + "/launcher") &&
                                      tree.add(parent + "/workload"),
                                  "no writable cgroup2 leaf can be created");
    // Delegate the subtree to uid 65534: the directories and their cgroup.procs.
    for (const std::string& rel : {parent, parent + "/launcher", parent + "/workload"}) {
        chown_nobody(tree.path(rel));
        chown_nobody(tree.path(rel) + "/cgroup.procs");
    }
    LaunchOptions opts = as(Who{true});
    // The kernel requires the caller to sit inside the delegated subtree: the spawner
    // moves the launcher into parent/launcher (as root), then drops to 65534.
    opts.join_cgroup_procs = tree.path(parent + "/launcher") + "/cgroup.procs";
    Observation o = launch(
        shell("cat /proc/self/cgroup; id -u").cgroup(tree.path(parent + "/workload")).build(),
        std::move(opts));
    INFO(show(o));
    CHECK(unified_line(o.out) == "0::/" + parent + "/workload");
    CHECK_THAT(o.out, ContainsSubstring("65534"));
    CHECK(o.terminal == S::ExecSucceeded);

    // Control: a leaf that is not delegated (owned by root) cannot be entered.
    std::string other = unique_name("notdeleg");
    CgroupTree root_owned(other);
    REQUIRE(root_owned.ok);
    TempDir dir("cgdeny");
    give_to(Who{true}, dir.path());
    std::string marker = dir / "ran";
    LaunchOptions opts2 = as(Who{true});
    opts2.join_cgroup_procs = tree.path(parent + "/launcher") + "/cgroup.procs";
    Observation d =
        launch(shell("touch " + marker).cgroup(root_owned.path(other)).build(), std::move(opts2));
    INFO(show(d));
    CHECK(d.terminal == S::SetupFaulted);
    CHECK_THAT(d.fault, ContainsSubstring("clone3"));
    CHECK_FALSE(file_exists(marker));
}
