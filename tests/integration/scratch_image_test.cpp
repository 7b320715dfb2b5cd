// The use case of build/static/bin: an image without a libc. The test builds a
// directory tree that holds only the static bvisor-run and bvisor-plan, the launcher,
// a static workload (Debian's busybox-static) and the directories the workload reads
// and writes, enters it the way a container runtime starts an image (new mount and pid
// namespaces, /proc mounted, /dev/null bound, chroot; as root, and as an unprivileged
// user through a user namespace), and runs bvisor-run there. Verdicts come from the
// tree's disk and the exit status, each deny next to a control: the same script
// without bvisor-run, in the same image, doing what bvisor-run then denies.
//
// Not a container runtime test: no image format, no cgroups, no seccomp of the
// runtime's own. What it proves is that nothing outside the tree is needed.
#include "../support/env.hpp"
#include "../support/kernel.hpp"
#include "../support/process.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <set>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace bvisor::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kBusybox = "/bin/busybox"; // from Debian's busybox-static

// How the image is entered.
struct Entry {
    bool unprivileged; // through a user namespace, as uid 65534 (or the caller, if not root)
    bool proc;         // mount /proc in the image
};

std::string describe(const Entry& e) {
    return std::string(e.unprivileged ? "unprivileged, through a user namespace" : "as root") +
           (e.proc ? ", /proc mounted" : ", no /proc");
}

// The steps of entering the image, in order; a failed one is reported by its index.
const char* const kSteps[] = {"drop to uid 65534",   "unshare",    "write uid/gid maps",
                              "make mounts private", "fork pid 1", "mount /proc",
                              "bind /dev/null",      "chroot",     "execve"};

struct Failure {
    int step;
    int err;
};

// In a forked child: report the failed step to the parent and exit. Async-signal-safe.
[[noreturn]] void child_fail(int report_fd, int step) {
    Failure f{step, errno};
    ssize_t ignored = ::write(report_fd, &f, sizeof f);
    (void)ignored;
    ::_exit(125);
}

bool write_proc(const char* path, const char* text) {
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t len = static_cast<ssize_t>(std::strlen(text));
    bool ok = ::write(fd, text, static_cast<size_t>(len)) == len;
    ::close(fd);
    return ok;
}

struct ImageRun {
    ProcessResult result;
    std::string setup_error; // empty when argv was executed in the image
};

// Runs `argv` (paths inside the image) in the image at `root` with an empty
// environment, as `how` says, with `input` (a file outside the image) as stdin. Everything is
// prepared before fork: the children only make system calls. The mounts live in the children's own
// mount namespace and go away with them.
ImageRun run_in_image(const std::string& root, const std::vector<std::string>& argv, Entry how,
                      const std::string& input = "/dev/null") {
    std::string proc = root + "/proc", devnull = root + "/dev/null";
    uid_t uid = running_as_root() ? kNobody : ::getuid();
    gid_t gid = running_as_root() ? kNobody : ::getgid();
    std::string uid_map = std::to_string(uid) + " " + std::to_string(uid) + " 1\n";
    std::string gid_map = std::to_string(gid) + " " + std::to_string(gid) + " 1\n";
    std::vector<char*> av;
    for (const auto& a : argv)
        av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    char* envp[] = {nullptr};

    int in = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(in >= 0);
    int out[2], err[2], report[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
    pid_t runtime = ::fork();
    REQUIRE(runtime >= 0);
    if (runtime == 0) {
        // The "runtime": drops privilege when asked, makes the namespaces, and waits for
        // the image's pid 1, whose exit status it passes on.
        ::dup2(in, 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        if (how.unprivileged && ::geteuid() == 0) {
            if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
                ::setresuid(uid, uid, uid) != 0)
                child_fail(report[1], 0);
            // Changing uid made us non-dumpable, which makes /proc/self/*_map root's.
            ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        }
        int flags = CLONE_NEWNS | CLONE_NEWPID | (how.unprivileged ? CLONE_NEWUSER : 0);
        if (::unshare(flags) != 0) child_fail(report[1], 1);
        if (how.unprivileged && (!write_proc("/proc/self/setgroups", "deny") ||
                                 !write_proc("/proc/self/uid_map", uid_map.c_str()) ||
                                 !write_proc("/proc/self/gid_map", gid_map.c_str())))
            child_fail(report[1], 2);
        // Nothing mounted from here on may reach the test's own mount namespace.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            child_fail(report[1], 3);
        pid_t init = ::fork();
        if (init < 0) child_fail(report[1], 4);
        if (init == 0) {
            // pid 1 of the image's pid namespace.
            if (how.proc &&
                ::mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr))
                child_fail(report[1], 5);
            if (::mount("/dev/null", devnull.c_str(), nullptr, MS_BIND, nullptr) != 0)
                child_fail(report[1], 6);
            if (::chroot(root.c_str()) != 0 || ::chdir("/") != 0) child_fail(report[1], 7);
            ::execve(av[0], av.data(), envp);
            child_fail(report[1], 8);
        }
        int status;
        while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
        }
        ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    ::close(in);
    ::close(out[1]);
    ::close(err[1]);
    ::close(report[1]);

    ImageRun run;
    int fds[2] = {out[0], err[0]};
    std::string* sinks[2] = {&run.result.out, &run.result.err};
    int open_fds = 2;
    char buf[4096];
    while (open_fds > 0) {
        pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
        if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i], buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i]);
                fds[i] = -1;
                --open_fds;
            }
        }
    }
    int status;
    REQUIRE(::waitpid(runtime, &status, 0) == runtime);
    REQUIRE(WIFEXITED(status));
    run.result.exit_code = WEXITSTATUS(status);
    Failure f{};
    if (::read(report[0], &f, sizeof f) == static_cast<ssize_t>(sizeof f))
        run.setup_error = std::string(kSteps[f.step]) + ": " + std::strerror(f.err);
    ::close(report[0]);
    return run;
}

bool has_interpreter(const std::string& elf) {
    auto r = run_process({"/usr/bin/readelf", "-lW", elf});
    REQUIRE(r.exit_code == 0);
    return r.out.find("INTERP") != std::string::npos;
}

void copy_executable(const std::string& from, const std::string& to) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    REQUIRE(::chmod(to.c_str(), 0755) == 0);
}

// Every path in the tree, relative to it.
std::set<std::string> listing(const std::string& root) {
    std::set<std::string> paths;
    for (const auto& e : fs::recursive_directory_iterator(root))
        paths.insert(e.path().string().substr(root.size()));
    return paths;
}

} // namespace

TEST_CASE("static bvisor-run confines a static workload in an image with no libc, shell or /etc",
          "[tools][static][image]") {
    bool unprivileged = GENERATE(false, true);
    bool proc = GENERATE(true, false);
    Entry how{unprivileged, proc};
    INFO(describe(how));
    if (!how.unprivileged && !running_as_root())
        SKIP("the \"as root\" variant needs the tests to run as root");
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock ABI " << landlock_abi() << " < 3");
    if (how.unprivileged)
        BVISOR_REQUIRE_KERNEL_FEATURE(userns_available(), "user namespaces are disabled");
    INFO("the workload is Debian's busybox-static (toolchain/install-deps.sh installs it)");
    REQUIRE(file_exists(kBusybox));
    REQUIRE_FALSE(has_interpreter(kBusybox));

    // The image: three static programs and the directories the workload uses.
    TempDir image("image");
    const std::string& root = image.path();
    image.mkdir("bin");
    for (const char* tool : {"bvisor-run", "bvisor-plan", "bvisor-linux-launcher"}) {
        std::string from = static_bin_dir() + "/" + tool;
        REQUIRE_FALSE(has_interpreter(from));
        copy_executable(from, root + "/bin/" + tool);
    }
    copy_executable(kBusybox, root + "/bin/busybox");
    write_file(image.mkdir("data") + "/in.txt", "input data\n");
    // Outside every root: the deny probes. World-writable so that the unprivileged
    // control can write there too.
    write_file(image.mkdir("secret", 0777) + "/key.txt", "TOP SECRET\n");
    std::string out = image.mkdir("out", 0777);
    image.mkdir("proc");
    image.mkdir("dev");
    write_file(root + "/dev/null", ""); // the mount point /dev/null is bound onto
    CHECK(listing(root) == std::set<std::string>{"/bin", "/bin/bvisor-run", "/bin/bvisor-plan",
                                                 "/bin/bvisor-linux-launcher", "/bin/busybox",
                                                 "/data", "/data/in.txt", "/secret",
                                                 "/secret/key.txt", "/out", "/proc", "/dev",
                                                 "/dev/null"});

    // Reads data/ into out/, then tries a read and a write outside both roots.
    const std::vector<std::string> script = {"/bin/busybox", "sh", "-c",
                                             "/bin/busybox cat /data/in.txt > /out/copy.txt; "
                                             "/bin/busybox cat /secret/key.txt > /out/leak.txt; "
                                             "echo escaped > /secret/escape.txt; exit 7"};
    auto clean = [&] {
        for (const char* f : {"/out/copy.txt", "/out/leak.txt", "/secret/escape.txt"})
            ::unlink((root + f).c_str());
    };

    SECTION("control: without bvisor-run the same script reads and writes everything") {
        ImageRun r = run_in_image(root, script, how);
        INFO(r.result.err);
        REQUIRE(r.setup_error == "");
        CHECK(r.result.exit_code == 7);
        CHECK(read_file(out + "/copy.txt") == "input data\n");
        CHECK(read_file(out + "/leak.txt") == "TOP SECRET\n");
        CHECK(read_file(root + "/secret/escape.txt") == "escaped\n");
        clean();
    }

    SECTION("bvisor-run: the write to /out lands, the rest is denied, the status comes through") {
        std::vector<std::string> argv = {
            "/bin/bvisor-run", "--no-system-roots", "--ro", "/data", "--rw", "/out", "--"};
        argv.insert(argv.end(), script.begin(), script.end());
        ImageRun r = run_in_image(root, argv, how);
        INFO(r.result.err);
        REQUIRE(r.setup_error == "");
        CHECK(r.result.exit_code == 7);
        CHECK(read_file(out + "/copy.txt") == "input data\n");
        // Who wrote it, as the disk says: root, or the unprivileged user.
        struct stat st {};
        REQUIRE(::stat((out + "/copy.txt").c_str(), &st) == 0);
        CHECK(st.st_uid == (!how.unprivileged ? 0 : running_as_root() ? kNobody : ::getuid()));
        // The shell creates leak.txt in /out (allowed); the secret must not be in it.
        CHECK(read_file(out + "/leak.txt").find("TOP SECRET") == std::string::npos);
        CHECK_FALSE(file_exists(root + "/secret/escape.txt"));
        clean();
    }

    SECTION("what the workload leaves running is ended, or, without /proc, reported") {
        // A process in a session of its own (0.3 s for its setsid to be done) that writes
        // /out/survivor a second later; the image's shell waits two seconds: the file is
        // there only if it lived.
        std::string inner = "(/bin/busybox setsid /bin/busybox sh -c '/bin/busybox sleep 1; "
                            "echo alive > /out/survivor' &); /bin/busybox sleep 0.3";
        std::string outer = "/bin/bvisor-run --no-system-roots --rw /out -- /bin/busybox sh -c "
                            "\"" +
                            inner + "\"; /bin/busybox sleep 2";
        ImageRun r = run_in_image(root, {"/bin/busybox", "sh", "-c", outer}, how);
        INFO(r.result.err);
        REQUIRE(r.setup_error == "");
        if (how.proc) {
            CHECK_FALSE(file_exists(out + "/survivor"));
            CHECK(r.result.err.find("still running") == std::string::npos);
        } else {
            // Only the workload's own process group can be found without /proc: the rest
            // survives, and bvisor-run says so.
            CHECK(read_file(out + "/survivor") == "alive\n");
            CHECK(r.result.err.find("left behind are still running (without /proc") !=
                  std::string::npos);
        }
        ::unlink((out + "/survivor").c_str());
    }

    SECTION("bvisor-plan: a dry-run plan encodes and verifies; a changed byte does not") {
        TempDir io("image-io"); // outside the image: stdin files for the runs
        ImageRun plan = run_in_image(root,
                                     {"/bin/bvisor-run", "--dry-run", "--no-system-roots", "--ro",
                                      "/data", "--", "/bin/busybox", "true"},
                                     how);
        INFO(plan.result.err);
        REQUIRE(plan.setup_error == "");
        REQUIRE(plan.result.exit_code == 0);
        write_file(io / "plan.json", plan.result.out);
        ImageRun frame = run_in_image(root, {"/bin/bvisor-plan", "encode"}, how, io / "plan.json");
        INFO(frame.result.err);
        REQUIRE(frame.setup_error == "");
        REQUIRE(frame.result.exit_code == 0);
        write_file(io / "frame", frame.result.out);
        ImageRun verified = run_in_image(root, {"/bin/bvisor-plan", "verify"}, how, io / "frame");
        INFO(verified.result.err);
        CHECK(verified.setup_error == "");
        CHECK(verified.result.exit_code == 0);
        // Control: the same frame with its last byte changed fails the BLAKE3 check.
        std::string bad = frame.result.out;
        REQUIRE_FALSE(bad.empty());
        bad.back() = static_cast<char>(bad.back() ^ 1);
        write_file(io / "bad", bad);
        ImageRun refused = run_in_image(root, {"/bin/bvisor-plan", "verify"}, how, io / "bad");
        CHECK(refused.setup_error == "");
        CHECK(refused.result.exit_code == 1);
    }
}
