// Ordinary programs through build/bin/bvisor-run with their natural command lines
// (issue 13), and the defaults that make them work: the harmless devices, the private
// TMPDIR and single-file roots.
//
// Each row of the table runs a real program (sh, head, python3, gcc, clang, git, make,
// perl, tar + gzip, sqlite3, node) with the options a user would type and no others,
// and judges by the disk (the file it made, read, run or queried by the test itself)
// and the exit status, never by what the program says about itself. Each row has a
// control: the same command, identity and files with one root the program needs
// withheld (a write root made a read root, the default devices or the private TMPDIR
// turned off, the system roots dropped). It must fail the way that program reports a
// denied access, so a row cannot pass because the program did nothing; and where the
// withheld root is an ordinary directory or device, the command run unconfined by the
// same identity passes the row's check, so the denial is the sandbox's and not the
// mode bits'.
//
// Then the private TMPDIR: gone after a normal exit, after SIGINT, SIGTERM or SIGHUP
// (to bvisor-run, or to its process group as Ctrl-C sends it) and after a refused or
// failed launch (every run gets an empty TMPDIR base of its own, so a leftover is
// seen), with everything a workload leaves in it (unreadable and read-only
// subdirectories, a fifo, symlinks to the outside, which must not be followed);
// --keep-tmp keeps it; a background process of the workload still writing there is
// ended with the workload, so the TMPDIR goes too; a relative TMPDIR base still gives an
// absolute TMPDIR. A single-file root grants that file and nothing
// beside it. --explain lists every grant.
//
// Not here: bvisor-run's options and exit statuses in general (bvisor_run_test.cpp),
// the launcher's Landlock rules one by one (launcher_landlock_test.cpp). A program of
// the table that is not installed fails its row, never skips it:
// `toolchain/install-deps.sh test` installs them all.
//
// Every test runs as root and as uid 65534 (through setpriv, from copies of bvisor-run
// and the launcher in a 0755 directory; when the tests do not run as root, as their
// own user only). The directories a workload writes belong to
// the identity running it: a root workload has no capabilities, so it cannot write
// where uid 0's mode bits do not let it either.
#include "../support/env.hpp"
#include "../support/kernel.hpp"
#include "../support/launch.hpp"
#include "../support/tools.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace bvisor::test;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPath = "PATH=/usr/local/bin:/usr/bin:/bin";
constexpr const char* kInstallHint =
    "not installed: `toolchain/install-deps.sh test` installs every program of this table";

// argv run as `who`: through setpriv to uid/gid 65534 without groups when the tests
// run as root; as the tests' own identity otherwise. (bvisor_run_argv in tools.hpp
// does the same for bvisor-run; this is for the unconfined controls.)
std::vector<std::string> as_who(const Who& who, std::vector<std::string> argv) {
    if (who.unprivileged && running_as_root())
        argv.insert(argv.begin(),
                    {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    return argv;
}

uid_t uid_of(const Who& who) {
    return who.unprivileged && running_as_root() ? kNobody : ::geteuid();
}

struct Outcome {
    int exit_code = -1; // when it exited
    int signal = 0;     // when it was killed
    std::string out, err;
};

std::string memfd_text(int fd) {
    std::string s;
    char buf[65536];
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        s.append(buf, static_cast<size_t>(n));
        off += n;
    }
    return s;
}

// A process started in `cwd` with stdin /dev/null and stdout and stderr in memfds:
// unlike pipes they never fill up, so the test can wait for the exit without reading,
// and can signal the process while it runs; and a background process the workload
// leaves behind, which holds them open, cannot make the wait hang for an EOF.
// `own_group`: it leads a new process group, as a shell's foreground job does (so that
// Ctrl-C can be had with kill(-pid, SIGINT)).
class Started {
public:
    Started(const std::vector<std::string>& argv, const std::vector<std::string>& envp,
            const std::string& cwd, bool own_group = false) {
        out_ = ::memfd_create("stdout", MFD_CLOEXEC);
        err_ = ::memfd_create("stderr", MFD_CLOEXEC);
        int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(out_ >= 0);
        REQUIRE(err_ >= 0);
        REQUIRE(in >= 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_adddup2(&fa, out_, 1);
        posix_spawn_file_actions_adddup2(&fa, err_, 2);
        if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
        std::vector<char*> av, ev;
        for (const auto& a : argv)
            av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(nullptr);
        for (const auto& e : envp)
            ev.push_back(const_cast<char*>(e.c_str()));
        ev.push_back(nullptr);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        if (own_group) {
            posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
            posix_spawnattr_setpgroup(&attr, 0);
        }
        int rc = ::posix_spawn(&pid_, av[0], &fa, &attr, av.data(), ev.data());
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        ::close(in);
        if (rc != 0) {
            pid_ = -1;
            FAIL("posix_spawn " << argv[0] << ": " << std::strerror(rc));
        }
    }
    ~Started() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
        if (out_ >= 0) ::close(out_);
        if (err_ >= 0) ::close(err_);
    }
    Started(const Started&) = delete;
    Started& operator=(const Started&) = delete;

    pid_t pid() const { return pid_; }

    // Waits for the exit. A hung program must not hang the whole test run: two minutes
    // is far beyond anything here (gcc and clang take well under a second).
    Outcome wait() {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
        int status = 0;
        for (;;) {
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) break;
            if (r < 0 && errno != EINTR) FAIL("waitpid: " << std::strerror(errno));
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                pid_ = -1;
                FAIL("still running after 2 minutes; killed. stderr: " << memfd_text(err_));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        pid_ = -1;
        Outcome o;
        if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
        o.out = memfd_text(out_);
        o.err = memfd_text(err_);
        return o;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1, err_ = -1;
};

Outcome run(const Who& who, const std::vector<std::string>& argv, const std::string& cwd,
            const std::vector<std::string>& envp = {kPath, "HOME=/nonexistent"}) {
    return Started(as_who(who, argv), envp, cwd).wait();
}

// bvisor-run's environment: a user's (tools.hpp), with TMPDIR set to a base of the
// test's own when given. The private TMPDIR is then made there, where a leftover
// cannot hide among other processes' files in /tmp.
std::vector<std::string> tmp_env(const std::string& tmp_base) {
    return user_env(tmp_base.empty() ? std::vector<std::string>{}
                                     : std::vector<std::string>{"TMPDIR=" + tmp_base});
}

// bvisor-run ARGS as `who`, in `cwd`, to the end.
Outcome confined(const Who& who, const std::string& cwd, const std::vector<std::string>& args,
                 const std::string& tmp_base = "") {
    return Started(bvisor_run_argv(args, who.unprivileged), tmp_env(tmp_base), cwd).wait();
}

// Makes `path` and everything beneath it belong to the identity.
void give_tree(const Who& who, const std::string& path) {
    give_to(who, path);
    for (const auto& e : fs::recursive_directory_iterator(path))
        give_to(who, e.path().string());
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    return names;
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return st.st_mode;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Polls `done` every 10 ms for up to 30 s (generous: the machine may be busy).
bool within_30s(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

// A row's work directory: data/in.txt ("INPUT", the test's, which the workload may
// only read), out/, and the row's own files; out/ and all in it are the identity's.
class WorkDir {
public:
    WorkDir(const Who& who, const std::vector<std::pair<std::string, std::string>>& files) {
        dir_.mkdir("data");
        write_file(dir_ / "data/in.txt", "INPUT");
        dir_.mkdir("out");
        for (const auto& [rel, content] : files) {
            fs::create_directories(fs::path(dir_ / rel).parent_path());
            write_file(dir_ / rel, content);
        }
        give_tree(who, dir_ / "out");
    }
    const std::string& path() const { return dir_.path(); }
    std::string operator/(const std::string& rel) const { return dir_ / rel; }

private:
    TempDir dir_{"everyday"};
};

// An empty directory, the identity's, to be bvisor-run's TMPDIR base.
class TmpBase {
public:
    explicit TmpBase(const Who& who) : dir_("tmpbase") { give_to(who, dir_.path()); }
    const std::string& path() const { return dir_.path(); }

private:
    TempDir dir_;
};

using Check = std::function<void(const Outcome&, const WorkDir&)>;

struct Row {
    const char* name;
    std::vector<const char*> programs;                      // must be installed
    std::vector<std::pair<std::string, std::string>> files; // in the work dir, beside data/in.txt
    std::string cwd;                                        // relative to the work dir
    std::vector<std::string> args;   // bvisor-run's arguments; "{dir}" is the work dir
    Check works;                     // the ground truth of the natural run
    std::vector<std::string> denied; // the same with one needed root withheld
    Check fails;                     // ... and how it fails
    bool unconfined = true;          // run the command unconfined: `works` must hold
};

void expect_denied(const Outcome& r, int code, const std::string& message) {
    CHECK(r.exit_code == code);
    CHECK_THAT(r.err, ContainsSubstring(message));
}

const char* const kHelloC = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n";

// The compiled hello program, run by the test itself.
void hello_built(const Outcome& r, const WorkDir& w) {
    CHECK(r.exit_code == 0);
    REQUIRE(file_exists(w / "out/a"));
    CHECK(run(Who{false}, {w / "out/a"}, "").out == "hello\n");
}

const std::vector<Row>& rows() {
    static const std::vector<Row> table = {
        {"sh with 2>/dev/null and </dev/null",
         {"/bin/sh", "/usr/bin/cat"},
         {},
         "",
         {"--ro", "data", "--rw", "out", "--", "/bin/sh", "-c",
          "cat data/in.txt 2>/dev/null >out/copy && cat </dev/null >>out/copy"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             CHECK(read_file(w / "out/copy") == "INPUT");
         },
         {"--no-default-devices", "--ro", "data", "--rw", "out", "--", "/bin/sh", "-c",
          "cat data/in.txt 2>/dev/null >out/copy && cat </dev/null >>out/copy"},
         [](const Outcome& r, const WorkDir& w) {
             // dash: a redirection that fails fails its command with status 2.
             expect_denied(r, 2, "cannot create /dev/null: Permission denied");
             CHECK_FALSE(file_exists(w / "out/copy"));
         }},
        {"head -c 16 /dev/urandom",
         {"/bin/sh", "/usr/bin/head"},
         {},
         "",
         {"--rw", "out", "--", "/bin/sh", "-c", "head -c 16 /dev/urandom >out/r"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             std::string bytes = read_file(w / "out/r");
             CHECK(bytes.size() == 16);
             CHECK(bytes != std::string(16, '\0')); // random, not /dev/zero
         },
         {"--no-default-devices", "--rw", "out", "--", "/bin/sh", "-c",
          "head -c 16 /dev/urandom >out/r"},
         [](const Outcome& r, const WorkDir& w) {
             expect_denied(r, 1, "head: cannot open '/dev/urandom' for reading: Permission denied");
             CHECK(read_file(w / "out/r").empty());
         }},
        {"python3 with tempfile and subprocess",
         {"/usr/bin/python3", "/usr/bin/cp"},
         {},
         "",
         {"--rw", "out", "--", "/usr/bin/python3", "-c",
          "import tempfile, subprocess\n"
          "d = tempfile.mkdtemp()\n"
          "open(d + '/x', 'w').write('py')\n"
          "subprocess.run(['cp', d + '/x', 'out/py'], check=True)\n"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             CHECK(read_file(w / "out/py") == "py");
         },
         {"--no-tmp", "--rw", "out", "--", "/usr/bin/python3", "-c",
          "import tempfile, subprocess\n"
          "d = tempfile.mkdtemp()\n"
          "open(d + '/x', 'w').write('py')\n"
          "subprocess.run(['cp', d + '/x', 'out/py'], check=True)\n"},
         [](const Outcome& r, const WorkDir& w) {
             // Python tries /tmp, /var/tmp, /usr/tmp and the cwd, and says so when it
             // could write a probe file in none of them (no errno in the message).
             expect_denied(r, 1, "No usable temporary directory found in ['/tmp'");
             CHECK_FALSE(file_exists(w / "out/py"));
         },
         // Unconfined, mkdtemp's directory would be left in /tmp for nobody to remove;
         // and /tmp (mode 1777) is writable by everyone anyway.
         false},
        {"gcc compiling into a write root",
         {"/usr/bin/gcc"},
         {{"out/a.c", kHelloC}},
         "",
         {"--rw", "out", "--", "/usr/bin/gcc", "-o", "out/a", "out/a.c"},
         hello_built,
         {"--no-tmp", "--rw", "out", "--", "/usr/bin/gcc", "-o", "out/a", "out/a.c"},
         [](const Outcome& r, const WorkDir& w) {
             // libiberty's make_temp_file reports and abort()s: 128 + SIGABRT.
             expect_denied(r, 128 + SIGABRT,
                           "Cannot create temporary file in /tmp/: Permission denied");
             CHECK_FALSE(file_exists(w / "out/a"));
         }},
        {"clang compiling into a write root",
         {"/usr/bin/clang"},
         {{"out/a.c", kHelloC}},
         "",
         {"--rw", "out", "--", "/usr/bin/clang", "-o", "out/a", "out/a.c"},
         hello_built,
         {"--no-tmp", "--rw", "out", "--", "/usr/bin/clang", "-o", "out/a", "out/a.c"},
         [](const Outcome& r, const WorkDir& w) {
             expect_denied(r, 1, "clang: error: unable to make temporary file: Permission denied");
             CHECK_FALSE(file_exists(w / "out/a"));
         }},
        {"git --version with --rw .",
         {"/usr/bin/git"},
         {},
         "",
         {"--rw", ".", "--", "/usr/bin/git", "--version"},
         [](const Outcome& r, const WorkDir&) {
             CHECK(r.exit_code == 0);
             CHECK_THAT(r.out, StartsWith("git version 2."));
         },
         // Without the system roots, git's loader and libraries are out of reach.
         {"--no-system-roots", "--rw", ".", "--", "/usr/bin/git", "--version"},
         [](const Outcome& r, const WorkDir&) {
             expect_denied(r, 126, "cannot execute /usr/bin/git: Permission denied");
             CHECK(r.out.empty());
         }},
        {"git init, add and commit in a write root, HOME inside it",
         {"/bin/sh", "/usr/bin/git"},
         {{"out/home/.gitconfig",
           "[user]\n\tname = Everyday Test\n\temail = everyday@example.invalid\n"
           "[init]\n\tdefaultBranch = main\n"},
          {"out/repo/a.txt", "A\n"}},
         "",
         {"--rw", "out", "--env", "HOME={dir}/out/home", "--", "/bin/sh", "-c",
          "cd out/repo && git init -q && git add a.txt && git commit -q -m first"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             // Read back by git itself, outside any sandbox (safe.directory: the repo
             // may belong to uid 65534 while the tests run as root).
             auto git = [&](std::vector<std::string> args) {
                 args.insert(args.begin(), {"/usr/bin/git", "-c", "safe.directory=*", "-C",
                                            w / "out/repo", "--no-optional-locks"});
                 return run(Who{false}, args, "").out;
             };
             CHECK(git({"log", "--format=%s %an"}) == "first Everyday Test\n");
             CHECK(git({"show", "main:a.txt"}) == "A\n");
         },
         {"--ro", "out", "--env", "HOME={dir}/out/home", "--", "/bin/sh", "-c",
          "cd out/repo && git init -q && git add a.txt && git commit -q -m first"},
         [](const Outcome& r, const WorkDir& w) {
             expect_denied(r, 1, "out/repo/.git: Permission denied");
             CHECK_FALSE(file_exists(w / "out/repo/.git"));
         }},
        {"make with a two-target Makefile",
         {"/usr/bin/make", "/bin/sh"},
         {{"out/Makefile", "b.txt: a.txt\n\tcp a.txt b.txt\na.txt:\n\techo made > a.txt\n"}},
         "out",
         {"--rw", ".", "--", "/usr/bin/make"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             CHECK(read_file(w / "out/a.txt") == "made\n");
             CHECK(read_file(w / "out/b.txt") == "made\n");
         },
         {"--ro", ".", "--", "/usr/bin/make"},
         [](const Outcome& r, const WorkDir& w) {
             expect_denied(r, 2, "cannot create a.txt: Permission denied");
             CHECK_FALSE(file_exists(w / "out/a.txt"));
         }},
        {"perl writing a file",
         {"/usr/bin/perl"},
         {},
         "",
         {"--rw", "out", "--", "/usr/bin/perl", "-e",
          R"(open(my $f, ">", "out/p") or die "out/p: $!\n"; print $f 1)"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             CHECK(read_file(w / "out/p") == "1");
         },
         {"--ro", "out", "--", "/usr/bin/perl", "-e",
          R"(open(my $f, ">", "out/p") or die "out/p: $!\n"; print $f 1)"},
         [](const Outcome& r, const WorkDir& w) {
             // die exits with errno: EACCES is 13.
             expect_denied(r, EACCES, "out/p: Permission denied");
             CHECK_FALSE(file_exists(w / "out/p"));
         }},
        {"tar with gzip",
         {"/usr/bin/tar", "/usr/bin/gzip"},
         {},
         "",
         {"--ro", "data", "--rw", "out", "--", "/usr/bin/tar", "-czf", "out/d.tgz", "data"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             CHECK(read_file(w / "out/d.tgz").substr(0, 2) == "\x1f\x8b"); // gzip's magic
             CHECK(run(Who{false}, {"/usr/bin/tar", "-xzOf", w / "out/d.tgz", "data/in.txt"}, "")
                       .out == "INPUT");
         },
         {"--ro", "data", "--ro", "out", "--", "/usr/bin/tar", "-czf", "out/d.tgz", "data"},
         [](const Outcome& r, const WorkDir& w) {
             expect_denied(r, 2, "out/d.tgz: Cannot open: Permission denied");
             CHECK_FALSE(file_exists(w / "out/d.tgz"));
         }},
        {"sqlite3 creating a database",
         {"/usr/bin/sqlite3"},
         {},
         "",
         {"--rw", "out", "--", "/usr/bin/sqlite3", "out/db",
          "create table t(x); insert into t values(42);"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             CHECK(read_file(w / "out/db").substr(0, 16) == std::string("SQLite format 3\0", 16));
             CHECK(run(Who{false},
                       {"/usr/bin/sqlite3", "-readonly", w / "out/db", "select x from t"}, "")
                       .out == "42\n");
         },
         {"--ro", "out", "--", "/usr/bin/sqlite3", "out/db",
          "create table t(x); insert into t values(42);"},
         [](const Outcome& r, const WorkDir& w) {
             // sqlite3 names no errno; its status and the missing file say it.
             expect_denied(r, 1, "unable to open database \"out/db\"");
             CHECK_FALSE(file_exists(w / "out/db"));
         }},
        {"node -e writing a file",
         {"/usr/bin/node"},
         {},
         "",
         {"--rw", "out", "--", "/usr/bin/node", "-e",
          R"(require("fs").writeFileSync("out/n", String(6 * 7)))"},
         [](const Outcome& r, const WorkDir& w) {
             CHECK(r.exit_code == 0);
             CHECK(read_file(w / "out/n") == "42");
         },
         {"--ro", "out", "--", "/usr/bin/node", "-e",
          R"(require("fs").writeFileSync("out/n", String(6 * 7)))"},
         [](const Outcome& r, const WorkDir& w) {
             expect_denied(r, 1, "EACCES: permission denied, open 'out/n'");
             CHECK_FALSE(file_exists(w / "out/n"));
         }},
    };
    return table;
}

std::vector<std::string> expand(std::vector<std::string> args, const std::string& dir) {
    for (auto& a : args) {
        for (size_t at = a.find("{dir}"); at != std::string::npos; at = a.find("{dir}"))
            a.replace(at, 5, dir);
    }
    return args;
}

// The command after "--", and the environment bvisor-run would give it (PATH and the
// --env pairs): the same run without the sandbox.
std::pair<std::vector<std::string>, std::vector<std::string>>
unconfined_command(const std::vector<std::string>& args) {
    std::vector<std::string> env = {kPath};
    size_t i = 0;
    for (; i < args.size() && args[i] != "--"; ++i)
        if (args[i] == "--env") env.push_back(args[++i]);
    return {std::vector<std::string>(args.begin() + static_cast<long>(i) + 1, args.end()), env};
}

} // namespace

TEST_CASE("everyday programs run under bvisor-run with their natural command lines, and fail "
          "when a root they need is withheld",
          "[everyday][tools][run]") {
    Who who = BOTH_IDENTITIES;
    size_t index = GENERATE(range(size_t{0}, rows().size()));
    const Row& row = rows()[index];
    INFO(row.name << ", " << who.name());
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    for (const char* program : row.programs) {
        INFO(program << ": " << kInstallHint);
        REQUIRE(::access(program, X_OK) == 0);
    }

    SECTION("the natural command line works") {
        WorkDir w(who, row.files);
        TmpBase base(who);
        Outcome r = confined(who, w / row.cwd, expand(row.args, w.path()), base.path());
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        row.works(r, w);
        CHECK(entries(base.path()).empty()); // its private TMPDIR is gone
    }
    SECTION("the control: one root it needs withheld, it fails") {
        WorkDir w(who, row.files);
        TmpBase base(who);
        Outcome r = confined(who, w / row.cwd, expand(row.denied, w.path()), base.path());
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        row.fails(r, w);
        CHECK(entries(base.path()).empty());
        if (row.unconfined) {
            // The same command without bvisor-run, as the same identity, on fresh files:
            // what the sandbox denied, the identity itself may do.
            WorkDir fresh(who, row.files);
            auto [argv, env] = unconfined_command(expand(row.args, fresh.path()));
            Outcome u = run(who, argv, fresh / row.cwd, env);
            INFO("unconfined stdout: " << u.out << "\nunconfined stderr: " << u.err);
            row.works(u, fresh);
        }
    }
}

TEST_CASE("bvisor-run --keep-tmp keeps the private TMPDIR with what the workload left; without "
          "it everything is removed and no symlink is followed",
          "[everyday][tools][run]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    WorkDir w(who, {{"outside/keep", "KEEP"}});
    // The symlinks' targets belong to the identity: were a link followed, the removal
    // (which runs as that identity) would be allowed to delete them.
    give_tree(who, w / "outside");
    // Unreadable (000) and read-only (555) directories, a fifo, a symlink to a directory
    // outside and one to a file outside.
    std::string script = "echo \"$TMPDIR\" >out/tmpdir && cd \"$TMPDIR\" && "
                         "mkdir -p locked/inner && echo x >locked/inner/f && "
                         "chmod 000 locked/inner locked && "
                         "mkdir ro && echo y >ro/f && chmod 555 ro && mkfifo fifo && "
                         "ln -s " +
                         w / "outside" + " link-dir && ln -s " + w / "outside/keep" +
                         " link-file && echo z >plain";

    // --keep-tmp, which is also the control: the workload did leave all of that.
    TmpBase kept_base(who);
    Outcome k =
        confined(who, w.path(), {"--keep-tmp", "--rw", "out", "--", "/bin/sh", "-c", script},
                 kept_base.path());
    INFO("stderr: " << k.err);
    REQUIRE(k.exit_code == 0);
    std::string kept = first_line(read_file(w / "out/tmpdir"));
    CHECK(k.err == "bvisor-run: kept TMPDIR " + kept + "\n");
    CHECK_THAT(kept, StartsWith(kept_base.path() + "/bvisor-"));
    CHECK(entries(kept_base.path()).size() == 1);
    struct stat st {};
    REQUIRE(::lstat(kept.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0700);
    CHECK(st.st_uid == uid_of(who));
    CHECK(S_ISDIR(mode_of(kept + "/locked")));
    CHECK((mode_of(kept + "/locked") & 07777) == 0);
    CHECK(S_ISDIR(mode_of(kept + "/ro")));
    CHECK((mode_of(kept + "/ro") & 07777) == 0555);
    CHECK(S_ISFIFO(mode_of(kept + "/fifo")));
    CHECK(S_ISLNK(mode_of(kept + "/link-dir")));
    CHECK(S_ISLNK(mode_of(kept + "/link-file")));
    CHECK(read_file(kept + "/plain") == "z\n");
    // Unlock what the workload locked, so that the TempDir can go even when the tests
    // do not run as root.
    ::chmod((kept + "/locked").c_str(), 0700);
    ::chmod((kept + "/locked/inner").c_str(), 0700);
    ::chmod((kept + "/ro").c_str(), 0700);

    // The same run without --keep-tmp: nothing is left, the outside is untouched.
    TmpBase base(who);
    Outcome r =
        confined(who, w.path(), {"--rw", "out", "--", "/bin/sh", "-c", script}, base.path());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    std::string gone = first_line(read_file(w / "out/tmpdir"));
    CHECK_THAT(gone, StartsWith(base.path() + "/bvisor-"));
    CHECK_FALSE(file_exists(gone));
    CHECK(entries(base.path()).empty());
    CHECK(read_file(w / "outside/keep") == "KEEP");
    CHECK(entries(w / "outside") == std::vector<std::string>{"keep"});
}

TEST_CASE("bvisor-run removes the private TMPDIR when SIGINT (or SIGTERM, SIGHUP) ends the run",
          "[everyday][tools][run]") {
    Who who = BOTH_IDENTITIES;
    // To bvisor-run alone (kill), or to its whole process group as Ctrl-C (SIGINT) or a
    // closed terminal (SIGHUP) does: then the launcher gets the signal too, and must
    // still let bvisor-run clean up.
    struct Stop {
        int sig;
        bool group;
    };
    Stop stop =
        GENERATE(Stop{SIGINT, false}, Stop{SIGINT, true}, Stop{SIGTERM, false}, Stop{SIGHUP, true});
    INFO(who.name() << ", signal " << stop.sig
                    << (stop.group ? " to the process group" : " to bvisor-run"));
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    WorkDir w(who, {});
    TmpBase base(who);
    // The path appears all at once (rename), after a file was left in the directory.
    Started s(bvisor_run_argv({"--rw", "out", "--", "/bin/sh", "-c",
                               "echo x >\"$TMPDIR/left\" && echo \"$TMPDIR\" >out/t.new && "
                               "mv out/t.new out/tmpdir && exec sleep 60"},
                              who.unprivileged),
              tmp_env(base.path()), w.path(), stop.group);
    REQUIRE(within_30s([&] { return file_exists(w / "out/tmpdir"); }));
    std::string tmp = first_line(read_file(w / "out/tmpdir"));
    CHECK_THAT(tmp, StartsWith(base.path() + "/bvisor-"));
    CHECK(read_file(tmp + "/left") == "x\n"); // it exists while the workload runs
    REQUIRE(::kill(stop.group ? -s.pid() : s.pid(), stop.sig) == 0);
    Outcome r = s.wait();
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 128 + stop.sig);
    CHECK_FALSE(file_exists(tmp));
    CHECK(entries(base.path()).empty());
}

TEST_CASE("bvisor-run removes the private TMPDIR when the launch is refused or the program "
          "cannot start",
          "[everyday][tools][run]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    WorkDir w(who, {});
    struct Failure {
        std::vector<std::string> args;
        int code;
        const char* message;
    };
    const Failure failures[] = {
        // No kernel has Landlock ABI 255: the launcher refuses before anything runs.
        {{"--landlock-min-abi", "255", "--rw", "out", "--", "/bin/sh", "-c", "echo ran >out/ran"},
         125,
         "bvisor-run: refused (MissingPrimitive): "},
        // Without the system roots the loader is out of reach: execve fails in the child.
        {{"--no-system-roots", "--rw", "out", "--", "/bin/sh", "-c", "echo ran >out/ran"},
         126,
         "bvisor-run: cannot execute /bin/sh: Permission denied"},
    };
    for (const auto& f : failures) {
        INFO(f.args[0]);
        TmpBase base(who);
        Outcome r = confined(who, w.path(), f.args, base.path());
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == f.code);
        CHECK_THAT(r.err, StartsWith(f.message));
        CHECK_FALSE(file_exists(w / "out/ran"));
        CHECK(entries(base.path()).empty());
        // Control: with --keep-tmp the same failed run leaves its TMPDIR, so one was made.
        TmpBase kept_base(who);
        std::vector<std::string> keep = f.args;
        keep.insert(keep.begin(), "--keep-tmp");
        Outcome k = confined(who, w.path(), keep, kept_base.path());
        CHECK(k.exit_code == f.code);
        CHECK(entries(kept_base.path()).size() == 1);
        CHECK_THAT(k.err,
                   ContainsSubstring("bvisor-run: kept TMPDIR " + kept_base.path() + "/bvisor-"));
    }
}

TEST_CASE("a background process still writing to the private TMPDIR is ended with the "
          "workload, and the TMPDIR goes",
          "[everyday][tools][run]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    WorkDir w(who, {});
    TmpBase base(who);
    // It writes its pid, then makes directories in the TMPDIR for as long as it lives:
    // before the launcher ended what the workload left running, it raced the removal.
    Outcome r = confined(who, w.path(),
                         {"--rw", "out", "--", "/bin/sh", "-c",
                          "/bin/sh -c 'echo $$ > out/pid; i=0; while :; do i=$((i+1)); "
                          "mkdir \"$TMPDIR/d$i\" 2>/dev/null; done' & sleep 0.2"},
                         base.path());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(entries(base.path()).empty()); // the disk: nothing left of the TMPDIR
    // /proc: the loop is gone (its pid names no shell running that loop).
    std::string pid = read_file(w / "out/pid");
    REQUIRE_FALSE(pid.empty());
    pid.pop_back();
    CHECK(proc_file(std::stol(pid), "cmdline").find("echo $$") == std::string::npos);
}

TEST_CASE("a relative TMPDIR base still gives PROGRAM an absolute TMPDIR",
          "[everyday][tools][run]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    WorkDir w(who, {});
    std::string base = w / "out/tmp";
    REQUIRE(::mkdir(base.c_str(), 0755) == 0);
    give_to(who, base);
    // The caller's TMPDIR is relative to bvisor-run's cwd; PROGRAM changes directory
    // and must still find its TMPDIR.
    Outcome r = Started(bvisor_run_argv({"--rw", "out", "--", "/bin/sh", "-c",
                                         "cd / && echo \"$TMPDIR\" >" + w / "out/tmpdir" +
                                             " && echo x >\"$TMPDIR/f\""},
                                        who.unprivileged),
                        user_env({"TMPDIR=out/tmp"}), w.path())
                    .wait();
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(read_file(w / "out/tmpdir"), StartsWith(base + "/bvisor-"));
    CHECK(entries(base).empty());
}

TEST_CASE("a single-file root grants that file and nothing beside it", "[everyday][tools][run]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");

    SECTION("--ro FILE: that file is readable; its sibling and the directory listing are not") {
        // data/ is the test's (0755, its files 0644): every identity may read it.
        WorkDir w(who, {});
        write_file(w / "data/allowed.txt", "ALLOWED");
        write_file(w / "data/secret.txt", "SECRET");
        const std::string script = "cat data/allowed.txt >out/allowed; cat data/secret.txt "
                                   ">out/secret; ls data >out/listing";
        Outcome r =
            confined(who, w.path(),
                     {"--ro", "data/allowed.txt", "--rw", "out", "--", "/bin/sh", "-c", script});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 2); // ls's status
        CHECK(read_file(w / "out/allowed") == "ALLOWED");
        CHECK(read_file(w / "out/secret").empty());
        CHECK(read_file(w / "out/listing").empty());
        CHECK_THAT(r.err, ContainsSubstring("data/secret.txt: Permission denied"));
        CHECK_THAT(r.err, ContainsSubstring("cannot open directory 'data': Permission denied"));
        // Control: unconfined, the same identity reads the sibling and lists the directory.
        Outcome u = run(who, {"/bin/sh", "-c", script}, w.path());
        CHECK(u.exit_code == 0);
        CHECK(read_file(w / "out/secret") == "SECRET");
        CHECK_THAT(read_file(w / "out/listing"), ContainsSubstring("secret.txt"));
    }
    SECTION("--rw FILE: that file is writable; a sibling cannot be created") {
        // out/ is the identity's, so only the sandbox can stop a file being created there.
        WorkDir w(who, {{"out/file", "old\n"}});
        const std::string script = "echo new >out/file; echo x >out/sibling";
        Outcome r = confined(who, w.path(), {"--rw", "out/file", "--", "/bin/sh", "-c", script});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(read_file(w / "out/file") == "new\n");
        CHECK_FALSE(file_exists(w / "out/sibling"));
        CHECK_THAT(r.err, ContainsSubstring("cannot create out/sibling: Permission denied"));
        Outcome u = run(who, {"/bin/sh", "-c", script}, w.path());
        CHECK(u.exit_code == 0);
        CHECK(read_file(w / "out/sibling") == "x\n");
    }
    SECTION("the default devices: each one alone, never the rest of /dev") {
        WorkDir w(who, {});
        // /dev/ptmx is mode 0666 like /dev/null, but not a default device.
        const std::string script = "head -c 4 /dev/zero >out/zero && echo x >/dev/null && "
                                   "true </dev/ptmx; ls /dev >out/listing";
        Outcome r = confined(who, w.path(), {"--rw", "out", "--", "/bin/sh", "-c", script});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(read_file(w / "out/zero") == std::string(4, '\0'));
        CHECK(read_file(w / "out/listing").empty());
        CHECK_THAT(r.err, ContainsSubstring("cannot open /dev/ptmx: Permission denied"));
        CHECK_THAT(r.err, ContainsSubstring("cannot open directory '/dev': Permission denied"));
        Outcome u = run(who, {"/bin/sh", "-c", script}, w.path());
        CHECK(u.exit_code == 0);
        CHECK_THAT(read_file(w / "out/listing"), ContainsSubstring("ptmx"));
    }
}

namespace {

struct Grant {
    std::string rights, kind, why;
};

// The --explain row whose path is `path` ("  RIGHTS KIND WHY PATH"; WHY may hold
// spaces, the paths here do not), and how many rows name it.
std::pair<Grant, int> explain_row(const std::string& err, const std::string& path) {
    std::istringstream lines(err);
    std::string line;
    Grant g;
    int count = 0;
    while (std::getline(lines, line)) {
        if (line.size() <= path.size() + 1 || line.compare(0, 2, "  ") != 0 ||
            line.compare(line.size() - path.size() - 1, std::string::npos, " " + path) != 0)
            continue;
        std::istringstream fields(line.substr(0, line.size() - path.size()));
        std::string word, why;
        fields >> g.rights >> g.kind;
        while (fields >> word)
            why += (why.empty() ? "" : " ") + word;
        g.why = why;
        ++count;
    }
    return {g, count};
}

} // namespace

TEST_CASE("bvisor-run --explain lists every grant, the default devices and the private TMPDIR "
          "included",
          "[everyday][tools][run]") {
    Who who = BOTH_IDENTITIES;
    require_identity(who);
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    WorkDir w(who, {});
    TmpBase base(who);
    Outcome r = confined(who, w.path(),
                         {"--explain", "--ro", "data/in.txt", "--rw", "out", "--", "/bin/sh", "-c",
                          "echo \"$TMPDIR\" >out/tmpdir"},
                         base.path());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    std::string tmp = first_line(read_file(w / "out/tmpdir"));
    CHECK_THAT(tmp, StartsWith(base.path() + "/bvisor-"));
    CHECK_FALSE(file_exists(tmp)); // listed, and still removed
    CHECK_THAT(r.err, StartsWith("bvisor-run: what the sandbox allowed (--explain)\n"));
    struct Expected {
        std::string path, rights, kind, why;
    };
    const Expected expected[] = {
        {"data/in.txt", "rx", "file", "--ro"},
        {"out", "rw", "directory", "--rw"},
        {"/usr", "rx", "directory", "system root"},
        {"/etc", "rx", "directory", "system root"},
        {"/dev/null", "rw", "device", "default device"},
        {"/dev/zero", "rw", "device", "default device"},
        {"/dev/full", "rw", "device", "default device"},
        {"/dev/random", "r", "device", "default device"},
        {"/dev/urandom", "r", "device", "default device"},
        {tmp, "rw", "directory", "private TMPDIR"},
    };
    for (const auto& e : expected) {
        INFO(e.path);
        auto [g, count] = explain_row(r.err, e.path);
        CHECK(count == 1);
        CHECK(g.rights == e.rights);
        CHECK(g.kind == e.kind);
        CHECK(g.why == e.why);
    }
    CHECK_THAT(r.err, ContainsSubstring("  everything else: denied"));

    // Control: the defaults turned off are not listed.
    Outcome off = confined(who, w.path(),
                           {"--explain", "--no-default-devices", "--no-tmp", "--rw", "out", "--",
                            "/bin/sh", "-c", "true"},
                           base.path());
    CHECK(off.exit_code == 0);
    CHECK(explain_row(off.err, "out").second == 1);
    CHECK_THAT(off.err, !ContainsSubstring("/dev/"));
    CHECK_THAT(off.err, !ContainsSubstring("private TMPDIR"));
}
