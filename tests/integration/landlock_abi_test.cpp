// Landlock ABI 1 and 2 give the same guarantee (docs/PROTOCOL.md section 10): the
// handled rights are what the kernel knows, truncate(2) is closed by the hardening
// filter below ABI 3, cross-directory renames are refused (EXDEV) on ABI 1, and the
// transcript says how. On this machine's kernel the older ABIs are simulated by
// bvisor-test-probe landlock-abi N (a seccomp supervisor that answers the version
// query with N); a kernel whose ABI does not know a right is not asked to handle it, so
// the simulation exercises the same rulesets the old kernel gets. The kernel matrix
// (ninja check-kernels) runs the same tests on Debian 12's real ABI-2 kernel.
//
// Verdicts come from the disk: file contents and sizes, where a renamed file ended up.
#include "../support/env.hpp"
#include "../support/kernel.hpp"
#include "../support/launch.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cerrno>
#include <cstddef>
#include <optional>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using S = LauncherState;

namespace {

// Runs `b` under the launcher seeing Landlock ABI `abi` (0: the kernel's own).
Observation launch_at_abi(PlanBuilder& b, long abi, const Who& who) {
    LaunchRequest req = make_request(b.build(), as(who));
    if (abi > 0) req.wrapper = {probe_path(), "landlock-abi", std::to_string(abi)};
    return run_launcher(std::move(req));
}

// The probe ARGS, confined to read roots `ro` and write roots `rw` (plus what it needs).
PlanBuilder confined_probe(std::vector<std::string> args, const std::vector<std::string>& ro,
                           const std::vector<std::string>& rw) {
    PlanBuilder b = probe(std::move(args));
    b.read_root(probe_dir()).system_roots();
    for (const auto& r : ro)
        b.read_root(r);
    for (const auto& w : rw)
        b.write_root(w);
    return b;
}

off_t size_of(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// A directory both identities may write (so the unconfined controls are not vacuous).
std::string open_dir(const TempDir& dir, const std::string& name) {
    std::string d = dir.mkdir(name);
    ::chmod(d.c_str(), 0777);
    return d;
}

// pre_exec hook: landlock_create_ruleset with a ruleset (not the version query) fails
// with EINVAL, as on a kernel that does not know a right or a scope it was asked for.
int reject_rulesets(void*) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 444, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), // attr == NULL: a query, let it be
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return errno;
    return 0;
}

} // namespace

TEST_CASE("Landlock ABI 1 and 2: the seed scenario holds (secret read and escape write denied, "
          "in-root copy allowed)",
          "[launcher][landlock][abi]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp user notification unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    long abi = GENERATE(1, 2);
    Who who = BOTH_IDENTITIES;
    INFO("ABI " << abi << ", " << who.name());
    require_identity(who);
    TempDir dir("abiseed");
    std::string data = dir.mkdir("data"), out = open_dir(dir, "out"), top = open_dir(dir, "top");
    write_file(data + "/in.txt", "IN-ROOT");
    write_file(top + "/secret", "SECRET");
    std::string script = "cat " + top + "/secret > " + out + "/leak; echo x > " + top +
                         "/escape; cat " + data + "/in.txt > " + out + "/copy";
    PlanBuilder b = shell(script);
    b.read_root(data).write_root(out).system_roots();
    Observation o = launch_at_abi(b, abi, who);
    INFO(show(o));
    CHECK(o.terminal == S::ExecSucceeded);
    CHECK(read_file(out + "/leak").empty()); // created by the shell, nothing read into it
    CHECK_FALSE(file_exists(top + "/escape"));
    CHECK(read_file(out + "/copy") == "IN-ROOT");
    // Control: unconfined, the same script reads the secret and writes outside.
    ::unlink((out + "/leak").c_str());
    Observation c = launch(shell(script).build(), as(who));
    CHECK(read_file(out + "/leak") == "SECRET");
    CHECK(file_exists(top + "/escape"));
}

TEST_CASE("below Landlock ABI 3, truncate(2) fails everywhere with EACCES; ftruncate and O_TRUNC "
          "in a write root still work",
          "[launcher][landlock][abi]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp user notification unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    long abi = GENERATE(1, 2);
    Who who = BOTH_IDENTITIES;
    INFO("ABI " << abi << ", " << who.name());
    require_identity(who);
    TempDir dir("trunc");
    std::string ro = open_dir(dir, "ro"), rw = open_dir(dir, "rw"), outside = open_dir(dir, "x");
    std::vector<std::string> files = {ro + "/f", outside + "/f", rw + "/f"};
    for (const auto& f : files) {
        write_file(f, "0123456789", 0666);
        give_to(who, f);
        INFO(f);
        PlanBuilder pb = confined_probe({"truncate", f}, {ro}, {rw});
        Observation o = launch_at_abi(pb, abi, who);
        INFO(show(o));
        CHECK(o.out == "truncate=EACCES (Permission denied)\n");
        CHECK(size_of(f) == 10); // the disk: untouched
        CHECK(o.has_note("landlock abi=" + std::to_string(abi)));
    }
    // Controls: by fd inside the write root, and by path without confinement.
    PlanBuilder by_fd = confined_probe({"ftruncate", rw + "/f"}, {ro}, {rw});
    Observation f = launch_at_abi(by_fd, abi, who);
    CHECK(f.out == "ftruncate=ok\n");
    CHECK(size_of(rw + "/f") == 0);
    Observation plain = launch(probe({"truncate", outside + "/f"}).build(), as(who));
    CHECK(plain.out == "truncate=ok\n");
    CHECK(size_of(outside + "/f") == 0);
}

// A directory under /usr, where the system read roots reach (root only), removed with
// its contents. `made` is false where /usr is read-only (the kernel matrix's guests
// share the host's / read-only): the read root case tests the same rule there.
struct SystemDir {
    std::string path = "/usr/local/bvisor-test-" + std::to_string(::getpid());
    bool made = ::mkdir(path.c_str(), 0777) == 0;
    SystemDir() {
        if (!made) REQUIRE(errno == EROFS);
    }
    ~SystemDir() {
        ::unlink((path + "/f").c_str());
        if (made) ::rmdir(path.c_str());
    }
};

TEST_CASE("below Landlock ABI 3, O_TRUNC opens not for writing fail everywhere: open, openat, "
          "openat2, io_uring and access mode 3, in a read root, a system root and outside",
          "[launcher][landlock][abi]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp user notification unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    long abi = GENERATE(1, 2, 0); // 0: the kernel's own ABI, which checks truncation itself
    Who who = BOTH_IDENTITIES;
    INFO("ABI " << (abi ? std::to_string(abi) : "of this kernel") << ", " << who.name());
    require_identity(who);
    TempDir dir("otrunc");
    std::string ro = open_dir(dir, "ro"), rw = open_dir(dir, "rw"), outside = open_dir(dir, "x");
    std::vector<std::string> places = {ro, outside};
    std::optional<SystemDir> sys;
    if (!who.unprivileged) {
        if (sys.emplace().made)
            places.push_back(sys->path); // under /usr
        else
            WARN("/usr is read-only here: no file under a system root to try");
    }
    // What each way fails with: the open calls with EACCES (the filter below ABI 3,
    // Landlock's own truncate check above), openat2 with ENOSYS and io_uring with EPERM
    // (the filter, on every ABI).
    const std::vector<std::pair<std::string, std::string>> ways = {
        {"open", "open=EACCES (Permission denied)\n"},
        {"openat", "openat=EACCES (Permission denied)\n"},
        {"openat2", "openat2=ENOSYS (Function not implemented)\n"},
        {"io_uring", "io_uring=EPERM (Operation not permitted)\n"},
        {"mode3", "openat=EACCES (Permission denied)\n"}};
    for (const auto& place : places) {
        std::string f = place + "/f";
        for (const auto& [how, expect] : ways) {
            INFO(how << " " << f);
            write_file(f, "0123456789", 0666);
            give_to(who, f);
            PlanBuilder pb = confined_probe({"open-trunc", how, f}, {ro}, {rw});
            Observation o = launch_at_abi(pb, abi, who);
            INFO(show(o));
            CHECK(o.terminal == S::ExecSucceeded);
            CHECK(o.out == expect);
            CHECK(size_of(f) == 10); // the disk: untouched
            // Control: unconfined, the same call empties the same file.
            Observation c = launch(probe({"open-trunc", how, f}).build(), as(who));
            CHECK(size_of(f) == 0);
        }
    }
    // Control inside the sandbox: opening for writing with O_TRUNC in a write root works
    // (Landlock checks WRITE_FILE), and a plain read of a read-root file does too.
    write_file(rw + "/f", "0123456789", 0666);
    give_to(who, rw + "/f");
    PlanBuilder w = confined_probe({"ftruncate", rw + "/f"}, {ro}, {rw});
    CHECK(launch_at_abi(w, abi, who).out == "ftruncate=ok\n");
    CHECK(size_of(rw + "/f") == 0);
}

TEST_CASE("cross-directory rename in a write root: allowed on ABI 2, EXDEV on ABI 1",
          "[launcher][landlock][abi]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp user notification unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    Who who = BOTH_IDENTITIES;
    INFO(who.name());
    require_identity(who);
    for (long abi : {1L, 2L}) {
        INFO("ABI " << abi);
        TempDir dir("refer");
        std::string rw = open_dir(dir, "rw");
        std::string a = open_dir(dir, "rw/a"), b = open_dir(dir, "rw/b");
        write_file(a + "/f", "moved");
        give_to(who, a + "/f");
        PlanBuilder across = confined_probe({"rename", a + "/f", b + "/f"}, {}, {rw});
        Observation o = launch_at_abi(across, abi, who);
        INFO(show(o));
        if (abi == 1) {
            CHECK(o.out == "rename=EXDEV (Invalid cross-device link)\n");
            CHECK(file_exists(a + "/f"));
            CHECK_FALSE(file_exists(b + "/f"));
            CHECK(o.has_note("landlock abi=1 errata=0x0 handled=0x1fff truncate=seccomp "
                             "refer=denied"));
            // Control: within one directory the same rename works on ABI 1.
            PlanBuilder within = confined_probe({"rename", a + "/f", a + "/g"}, {}, {rw});
            CHECK(launch_at_abi(within, abi, who).out == "rename=ok\n");
            CHECK(file_exists(a + "/g"));
        } else {
            CHECK(o.out == "rename=ok\n");
            CHECK(read_file(b + "/f") == "moved");
            CHECK(o.has_note("landlock abi=2 errata=0x0 handled=0x3fff truncate=seccomp"));
            CHECK_FALSE(o.has_note("landlock abi=2 errata=0x0 handled=0x3fff truncate=seccomp "
                                   "refer=denied"));
        }
        CHECK(o.has_note("landlock scopes=unavailable abi=" + std::to_string(abi)));
        CHECK(o.has_note("hardening session=new keyring=fresh capabilities=dropped"));
    }
}

TEST_CASE("landlock_min_abi refuses an older kernel before anything runs, naming both ABIs",
          "[launcher][landlock][abi]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp user notification unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("minabi");
    std::string out = open_dir(dir, "out"), marker = out + "/ran";
    PlanBuilder b = shell("touch " + marker);
    b.write_root(out).system_roots().landlock_min_abi(3);
    Observation o = launch_at_abi(b, 2, Who{false});
    INFO(show(o));
    CHECK(o.terminal == S::SetupRefused);
    CHECK(o.refusal == RefusalReason::MissingPrimitive);
    CHECK(o.detail ==
          "Landlock: this kernel has Landlock ABI 2, below the plan's landlock_min_abi 3");
    CHECK_FALSE(o.has_state(S::ChildCreated));
    CHECK_FALSE(file_exists(marker));
    CHECK(o.launcher.code == 3);
    // Control: the same kernel satisfies a minimum of 2. (Simulating a newer ABI than
    // the kernel has would not do: Debian 12's kernel is ABI 2.)
    PlanBuilder ok = shell("touch " + marker);
    ok.write_root(out).system_roots().landlock_min_abi(2);
    CHECK(launch_at_abi(ok, 2, Who{false}).terminal == S::ExecSucceeded);
    CHECK(file_exists(marker));
}

TEST_CASE("a Landlock ruleset the kernel rejects is a missing primitive, not a bad handle",
          "[launcher][landlock][abi]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(seccomp_available(), "seccomp filters unavailable");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    TempDir dir("reject");
    std::string out = open_dir(dir, "out"), marker = out + "/ran";
    LaunchOptions opts;
    opts.pre_exec = reject_rulesets;
    PlanBuilder b = shell("touch " + marker);
    b.write_root(out).system_roots();
    Observation o = launch(b.build(), std::move(opts));
    INFO(show(o));
    CHECK(o.terminal == S::SetupRefused);
    CHECK(o.refusal == RefusalReason::MissingPrimitive);
    CHECK_THAT(o.detail, ContainsSubstring("landlock_create_ruleset (handled=0x"));
    CHECK_THAT(o.detail, ContainsSubstring("Invalid argument (os error 22)"));
    CHECK_FALSE(file_exists(marker));
    // Control: the same plan on the kernel as it is runs.
    PlanBuilder ok = shell("touch " + marker);
    ok.write_root(out).system_roots();
    CHECK(launch(ok.build()).terminal == S::ExecSucceeded);
    CHECK(file_exists(marker));
}
