// A race harness for the paths bvisor-run touches (issue 19): thousands of launches,
// each raced by an attacker of the same identity that swaps one path, as fast as it
// can, for the whole life of the launch: the TMPDIR base's new directory (exchanged
// with a symlink to a victim the moment it appears, as a concurrent sandbox with the
// base as a write root could), the --json-status path (a regular file, a symlink to a
// victim, a fifo, in turn), PROGRAM (a script, a fifo with the x bit, a symlink to
// another script) and a --rw path (a directory, a symlink to a victim, a fifo). As root
// and as uid 65534.
//
// Ground truth, for every launch: where every write landed (the victims stay empty
// unless a path the user gave named them when it was opened, and then --explain says
// so), that the launch ended within its bound (a fifo never blocks), and that what
// ran is one of the programs the path named. BVISOR_RACE_RUNS sets the number of
// launches (default 2000, a quarter per path). The tally is printed with the test.
#include "../support/env.hpp"
#include "../support/kernel.hpp"
#include "../support/launch.hpp"
#include "../support/process.hpp"
#include "../support/tools.hpp"

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <map>
#include <random>
#include <sstream>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using namespace std::chrono_literals;

namespace {

enum class Target { Tmpdir, Status, Program, Root };
constexpr const char* kTargetNames[] = {"TMPDIR base", "--json-status path", "PROGRAM",
                                        "--rw path"};

int swap_names(const std::string& a, const std::string& b) {
    return static_cast<int>(
        ::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE));
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
                out.emplace_back(e->d_name);
        ::closedir(d);
    }
    return out;
}

// The attacker: a process of the identity that swaps one path until it is killed.
// Forked from the test (only system calls run in it).
class Attacker {
public:
    Attacker(const Who& who, Target t, const std::string& d) {
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            if (who.unprivileged && running_as_root() && !become_nobody()) ::_exit(120);
            run(t, d);
            ::_exit(0);
        }
    }
    ~Attacker() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }

private:
    [[noreturn]] static void run(Target t, const std::string& d) {
        const std::string victim = d + "/victim";
        switch (t) {
        case Target::Tmpdir: {
            // The new directory's name is exchanged with a symlink to the victim the
            // moment it appears.
            int in = inotify_init1(IN_CLOEXEC);
            inotify_add_watch(in, (d + "/base").c_str(), IN_CREATE);
            char buf[4096] __attribute__((aligned(8)));
            for (;;) {
                ssize_t n = ::read(in, buf, sizeof buf);
                for (ssize_t at = 0; at < n;) {
                    auto* e = reinterpret_cast<inotify_event*>(buf + at);
                    if (e->len && std::strncmp(e->name, "bvisor-", 7) == 0)
                        swap_names(d + "/base/" + e->name, d + "/base/lure");
                    at += static_cast<ssize_t>(sizeof *e + e->len);
                }
            }
        }
        case Target::Status: {
            const std::string status = d + "/work/status.json";
            for (int i = 0;; ++i) {
                std::string next = d + "/work/.next";
                ::unlink(next.c_str());
                if (i % 3 == 0) (void)!::symlink((victim + "/status").c_str(), next.c_str());
                if (i % 3 == 1) ::mkfifo(next.c_str(), 0666);
                if (i % 3 == 2) ::close(::open(next.c_str(), O_WRONLY | O_CREAT, 0644));
                ::rename(next.c_str(), status.c_str());
            }
        }
        case Target::Program: {
            const std::string prog = d + "/prog";
            const char* kinds[] = {"/script-a", "/fifo", "/link-b"};
            for (int i = 0;; ++i)
                swap_names(prog, d + "/pool" + kinds[i % 3]);
        }
        case Target::Root: {
            const std::string root = d + "/root";
            const char* kinds[] = {"/link", "/fifo"};
            for (int i = 0;; ++i)
                swap_names(root, d + "/pool" + kinds[i % 2]);
        }
        }
        ::_exit(0);
    }
    pid_t pid_ = -1;
};

// One launch's scenario: D/victim (not granted), D/work (a write root), and what the
// target needs. Everything belongs to the identity.
struct Scenario {
    TempDir dir{"race"};
    std::string d = dir.path(), victim = d + "/victim", work = d + "/work";
    Scenario(const Who& who, Target t) {
        dir.mkdir("victim");
        dir.mkdir("work");
        dir.mkdir("pool");
        if (t == Target::Tmpdir) {
            dir.mkdir("base", 0755);
            REQUIRE(::symlink(victim.c_str(), (d + "/base/lure").c_str()) == 0);
        }
        if (t == Target::Program) {
            for (const char* s : {"a", "b"})
                write_file(d + "/script-" + std::string(s),
                           "#!/bin/sh\necho ran >" + work + "/ran-" + s + "\n", 0755);
            write_file(d + "/prog", read_file(d + "/script-a"), 0755);
            std::rename((d + "/script-a").c_str(), (d + "/pool/script-a").c_str());
            REQUIRE(::mkfifo((d + "/pool/fifo").c_str(), 0777) == 0);
            REQUIRE(::chmod((d + "/pool/fifo").c_str(), 0777) == 0);
            REQUIRE(::symlink((d + "/script-b").c_str(), (d + "/pool/link-b").c_str()) == 0);
        }
        if (t == Target::Root) {
            dir.mkdir("root");
            REQUIRE(::symlink(victim.c_str(), (d + "/pool/link").c_str()) == 0);
            REQUIRE(::mkfifo((d + "/pool/fifo").c_str(), 0666) == 0);
        }
        give_tree(who);
    }
    void give_tree(const Who& who) {
        if (!who.unprivileged || !running_as_root()) return;
        for (const std::string& sub :
             {"", "/victim", "/work", "/pool", "/base", "/root", "/prog", "/script-b", "/base/lure",
              "/pool/script-a", "/pool/fifo", "/pool/link-b", "/pool/link"})
            (void)::lchown((d + sub).c_str(), kNobody, kNobody);
    }
};

// Where --explain says the grant of `path` led: the "(real)" of its row, or `path`
// itself; "" when no row names it.
std::string explained(const std::string& err, const std::string& path) {
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);) {
        size_t at = line.find(" " + path);
        if (line.rfind("  r", 0) != 0 || at == std::string::npos) continue;
        std::string rest = line.substr(at + 1 + path.size());
        if (!rest.empty() && rest.rfind(" (", 0) != 0) continue; // a longer path
        return rest.empty() ? path : rest.substr(2, rest.size() - 3);
    }
    return "";
}

// Whether `dir`/w exists with `dir` a directory, not a symlink to one.
bool written_in(const std::string& dir) {
    struct stat st;
    return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && file_exists(dir + "/w");
}

} // namespace

TEST_CASE("race harness: paths swapped for symlinks and fifos during thousands of launches "
          "never steer a write, never hang bvisor-run",
          "[race]") {
    BVISOR_REQUIRE_KERNEL_FEATURE(landlock_usable(), "Landlock (Linux 5.13+) unavailable");
    const int runs =
        std::getenv("BVISOR_RACE_RUNS") ? std::atoi(std::getenv("BVISOR_RACE_RUNS")) : 2000;
    std::mt19937 rng(std::random_device{}());
    std::map<std::string, int> tally;
    for (int run = 0; run < runs; ++run) {
        Target t = static_cast<Target>(run % 4);
        Who who{running_as_root() ? rng() % 2 == 0 : true};
        INFO("run " << run << ", " << kTargetNames[static_cast<int>(t)] << ", " << who.name());
        Scenario s(who, t);
        std::vector<std::string> args = {"--explain", "--rw", s.work};
        std::vector<std::string> env;
        if (t == Target::Tmpdir) env.push_back("TMPDIR=" + s.d + "/base");
        if (t == Target::Status)
            args.insert(args.end(), {"--json-status", s.work + "/status.json"});
        if (t == Target::Root) args.insert(args.end(), {"--rw", s.d + "/root"});
        args.push_back("--");
        if (t == Target::Program) {
            args.push_back(s.d + "/prog");
        } else {
            std::string w = t == Target::Root ? s.d + "/root/w" : "$TMPDIR/w";
            args.insert(args.end(), {"/bin/sh", "-c",
                                     "echo x > " + w + "; echo $TMPDIR > " + s.work + "/tmpdir"});
        }
        ProcessResult r;
        {
            Attacker a(who, t, s.d);
            r = run_process(bvisor_run_argv(args, who.unprivileged), user_env(env), "", 20s);
        }
        INFO("exit " << r.exit_code << ", stderr: " << r.err);
        CHECK_FALSE(r.timed_out); // bounded, whatever was swapped in
        if (r.timed_out) {
            ++tally[std::string(kTargetNames[static_cast<int>(t)]) +
                    ": HUNG (killed at the bound)"];
            continue;
        }
        std::string outcome;
        switch (t) {
        case Target::Tmpdir:
            // The victim stays empty: the TMPDIR grant was the directory bvisor-run made.
            CHECK(entries(s.victim).empty());
            CHECK((r.exit_code == 0 || r.exit_code == 125));
            outcome = !entries(s.victim).empty() ? "HIJACKED: it wrote in the victim"
                      : r.exit_code == 125       ? "refused: the new directory was replaced"
                      : r.err.find("Permission denied") != std::string::npos
                          ? "ran; its write through the swapped-in symlink was denied"
                          : "ran, and wrote in its own TMPDIR";
            if (r.exit_code == 125)
                CHECK(r.err.find("was replaced before it could be opened") != std::string::npos);
            break;
        case Target::Status:
            CHECK(entries(s.victim).empty()); // never written through a symlink
            CHECK((r.exit_code == 0 || r.exit_code == 125));
            outcome = !entries(s.victim).empty() ? "HIJACKED: the status went to the victim"
                      : r.exit_code == 125 ? "refused: not a regular file, or a symlink, at open"
                      : r.err.find("was replaced") != std::string::npos
                          ? "written to the file opened; its replacement reported"
                          : "written to the file opened";
            break;
        case Target::Program: {
            bool a = file_exists(s.work + "/ran-a"), b = file_exists(s.work + "/ran-b");
            CHECK(!(a && b));
            if (r.exit_code == 0) CHECK((a || b));
            CHECK((r.exit_code == 0 || r.exit_code == 126 || r.exit_code == 2));
            outcome = r.exit_code == 126 ? "refused: not a regular file, or changed while opened"
                      : r.exit_code == 2 ? "the script's path was swapped before its interpreter "
                                           "read it: denied"
                      : a                ? "ran script a"
                                         : "ran script b (through the symlink)";
            break;
        }
        case Target::Root: {
            // The user's path led to one place when it was opened: the write lands
            // there or nowhere, and --explain names that place.
            std::string granted = explained(r.err, s.d + "/root");
            bool in_victim = file_exists(s.victim + "/w");
            bool in_dir = written_in(s.d + "/root") || written_in(s.d + "/pool/link") ||
                          written_in(s.d + "/pool/fifo");
            // (--explain names the directory where it is by the time it was looked at,
            // which may be after a swap moved it; never the victim then.)
            CHECK(!(in_victim && in_dir));
            if (in_victim) CHECK(granted == s.victim);
            if (in_dir) CHECK((!granted.empty() && granted != s.victim));
            CHECK(entries(s.victim).size() <= 1);
            CHECK((r.exit_code == 0 || r.exit_code == 125));
            outcome = r.exit_code == 125 ? "refused: not a directory, file or device"
                      : in_victim        ? "granted the symlink's target, as --explain said"
                      : in_dir           ? "granted the directory, as --explain said"
                                         : "ran; the path was swapped after the grant: denied";
            break;
        }
        }
        ++tally[std::string(kTargetNames[static_cast<int>(t)]) + ": " + outcome];
    }
    std::ostringstream text;
    text << runs << " raced launches:";
    for (const auto& [k, v] : tally)
        text << "\n  " << v << "  " << k;
    WARN(text.str());
}
