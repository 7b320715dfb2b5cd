// tests/bench/bench.cpp: bvisor-bench, the measurements behind docs/BENCHMARKS.md
// (`ninja bench`; not part of `ninja check` or `check-all`: timings are never test verdicts).
//
// Every latency is the wall time from "start it" to "it has exited and was reaped",
// measured in rounds that alternate between the configurations, so a noisy moment
// hits all of them alike; reported as medians with the 10th-90th percentile range and
// ratios taken within this one run. Syscall counts come from strace (deterministic);
// the launcher's peak RSS from wait4; decode+verify times from the codec in-process.
//
//   bvisor-bench --launcher PATH [--nop PATH] [--rounds N] [--out FILE]
//
// --nop names a static do-nothing program (build/bench/nop-static): with it, a
// "where the time goes" table separates the launcher path's fixed cost from the
// workload's own start-up, and shows the same launches confined to one CPU.
#include "../support/kernel.hpp"

#include "bvisor/spawn.hpp"
#include "codec/blake3.h"
#include "codec/checks.h"
#include "codec/plan.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace bvisor;
using Clock = std::chrono::steady_clock;

std::string g_launcher;
std::string g_nop;
int g_rounds = 300;

struct Stats {
    double median = 0, p10 = 0, p90 = 0;
};

Stats stats_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
        return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
    };
    return Stats{at(0.5), at(0.1), at(0.9)};
}

std::string fmt(double v, int digits = 2) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// posix_spawn + wait: the baseline every ratio is taken against. Stdout and stderr go
// to /dev/null, or, with `tty` >= 0, fds 0-2 to it (a pty's slave: a terminal's case).
double spawn_and_wait(const std::vector<std::string>& argv, int tty = -1) {
    std::vector<char*> av;
    for (const auto& a : argv)
        av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    char path_env[] = "PATH=/usr/bin:/bin";
    char* envp[] = {path_env, nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    for (int i = tty >= 0 ? 0 : 1; i < 3; ++i) {
        if (tty >= 0)
            posix_spawn_file_actions_adddup2(&fa, tty, i);
        else
            posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_WRONLY, 0);
    }
    auto t0 = Clock::now();
    pid_t pid;
    int err = ::posix_spawn(&pid, av[0], &fa, nullptr, av.data(), envp);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) return -1;
    int status;
    ::waitpid(pid, &status, 0);
    double ms = ms_since(t0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

// A prepared launch whose fds are duplicated for every run.
struct Prepared {
    PreparedLaunch launch;
    Bytes frame;
    std::string name;
    int (*pre_exec)(void*) = nullptr;
    void* pre_exec_arg = nullptr;

    LaunchRequest request() const {
        LaunchRequest req;
        req.launcher = g_launcher;
        req.frame = frame;
        for (const auto& g : launch.grants)
            req.grants.push_back(Grant{g.slot, UniqueFd(::fcntl(g.fd.get(), F_DUPFD_CLOEXEC, 3))});
        req.capture_output = false; // like the bare baseline: no pipes for /bin/true's silence
        req.pre_exec = pre_exec;
        req.pre_exec_arg = pre_exec_arg;
        return req;
    }
};

Prepared prepare(const std::string& name, PlanBuilder& b) {
    Prepared p;
    p.name = name;
    p.launch = b.build();
    p.frame = encode_frame(p.launch.body);
    return p;
}
Prepared prepare(const std::string& name, PlanBuilder&& b) { return prepare(name, b); }

struct RunResult {
    double ms = -1;
    long rss_kb = 0;
};

RunResult launch_once(const Prepared& p) {
    LaunchRequest req = p.request();
    auto t0 = Clock::now();
    Observation o = run_launcher(std::move(req));
    double ms = ms_since(t0);
    if (o.terminal != LauncherState::ExecSucceeded) {
        std::fprintf(stderr, "bvisor-bench: %s did not succeed:\n%s\n", p.name.c_str(),
                     o.transcript.c_str());
        return {};
    }
    return RunResult{ms, o.launcher.max_rss_kb};
}

PlanBuilder true_plan() {
    PlanBuilder b;
    b.exe("/bin/true").argv({"true"}).env("PATH", "/usr/bin:/bin");
    return b;
}

// Runs `fn` with this process (and so every process it starts) allowed on one CPU
// only, then restores the previous affinity.
RunResult on_one_cpu(const std::function<RunResult()>& fn) {
    cpu_set_t old, one;
    if (::sched_getaffinity(0, sizeof old, &old) != 0) return fn();
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &old)) {
            CPU_SET(c, &one);
            break;
        }
    }
    ::sched_setaffinity(0, sizeof one, &one);
    RunResult r = fn();
    ::sched_setaffinity(0, sizeof old, &old);
    return r;
}

// ---------------------------------------------------------------- temp dirs

struct Scratch {
    std::string path;
    Scratch() {
        char t[] = "/tmp/bvisor-bench-XXXXXX";
        path = ::mkdtemp(t);
        ::chmod(path.c_str(), 0755);
    }
    ~Scratch() {
        std::string cmd = "rm -rf '" + path + "'";
        if (std::system(cmd.c_str()) != 0)
            std::fprintf(stderr, "bvisor-bench: could not remove %s\n", path.c_str());
    }
    std::string dir(const std::string& name) const {
        std::string p = path + "/" + name;
        ::mkdir(p.c_str(), 0755);
        return p;
    }
};

// ---------------------------------------------------------------- latency table

struct Row {
    std::string name;
    std::function<RunResult()> run;
    std::vector<double> ms;
    std::vector<long> rss;
};

void run_alternating(std::vector<Row>& rows, int rounds) {
    for (auto& r : rows)
        r.run(); // warm caches once
    for (int i = 0; i < rounds; ++i) {
        for (size_t k = 0; k < rows.size(); ++k) {
            // Rotate the starting configuration each round.
            Row& r = rows[(k + static_cast<size_t>(i)) % rows.size()];
            RunResult x = r.run();
            if (x.ms >= 0) {
                r.ms.push_back(x.ms);
                if (x.rss_kb) r.rss.push_back(x.rss_kb);
            }
        }
    }
}

// ---------------------------------------------------------------- strace

struct SyscallCounts {
    long total = 0, launcher = 0, child_window = 0, workload = 0;
    bool ok = false;
};

// Counts the syscalls in an `strace -f -o FILE` trace per process: the first pid is
// the traced process; in the others, calls up to and including the successful
// execve(at) belong to the child window, later ones to the workload.
SyscallCounts count_trace(const std::string& file) {
    SyscallCounts c;
    std::ifstream in(file);
    std::string line;
    long first = -1;
    std::set<long> execd;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        long pid;
        if (!(ls >> pid)) continue;
        std::string rest;
        std::getline(ls, rest);
        rest.erase(0, rest.find_first_not_of(' '));
        if (rest.rfind("+++", 0) == 0 || rest.rfind("---", 0) == 0 || rest.rfind("<...", 0) == 0)
            continue;
        if (first < 0) first = pid;
        ++c.total;
        if (pid == first) {
            ++c.launcher;
        } else if (execd.count(pid)) {
            ++c.workload;
        } else {
            // The child's execveat ends its window (the trace is of a successful launch).
            ++c.child_window;
            if (rest.rfind("execveat(", 0) == 0 || rest.rfind("execve(", 0) == 0) execd.insert(pid);
        }
    }
    c.ok = c.total > 0;
    return c;
}

SyscallCounts strace_launch(const Prepared& p, const std::string& out) {
    LaunchRequest req = p.request();
    req.wrapper = {"/usr/bin/strace", "-f", "-qq", "-o", out};
    Observation o = run_launcher(std::move(req));
    if (o.terminal != LauncherState::ExecSucceeded) return {};
    return count_trace(out);
}

SyscallCounts strace_bare(const std::string& out) {
    std::vector<std::string> argv = {"/usr/bin/strace", "-f", "-qq", "-o", out, "/bin/true"};
    if (spawn_and_wait(argv) < 0) return {};
    SyscallCounts c = count_trace(out);
    // The traced process is /bin/true itself: all of it is "workload".
    c.workload = c.total;
    c.launcher = 0;
    return c;
}

// ---------------------------------------------------------------- RSS

// The launcher's own peak RSS (VmHWM of its post-exec address space), read while it
// supervises a short sleep. (wait4's ru_maxrss would also count the host's pages from
// the spawn before exec.)
long launcher_hwm_kb(PlanBuilder& b) {
    PreparedLaunch p = b.build();
    LaunchRequest req;
    req.launcher = g_launcher;
    req.frame = encode_frame(p.body);
    req.grants = std::move(p.grants);
    Launch l(std::move(req));
    if (!l.wait_for_line("# mechanism=", std::chrono::seconds(10))) return -1;
    std::ifstream in("/proc/" + std::to_string(l.pid()) + "/status");
    long kb = -1;
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0) kb = std::stol(line.substr(6));
    l.finish();
    return kb;
}

// ---------------------------------------------------------------- decode timing

double time_decode(const Bytes& frame, int iterations) {
    auto storage = std::make_unique<codec::PlanStorage>();
    std::vector<double> v;
    for (int i = 0; i < iterations; ++i) {
        auto t0 = Clock::now();
        codec::Bytes body;
        codec::Status st = codec::open_frame(codec::Bytes{frame.data(), frame.size()}, &body);
        codec::DecodedPlan d;
        if (st.ok()) st = codec::decode_body(body, storage.get(), &d);
        bool ok = st.ok();
        if (ok) {
            codec::Digest h = codec::Blake3::hash(body.ptr + d.lowering_offset, d.lowering_len);
            codec::Refusal r;
            ok = codec::digest_eq(h, d.plan.h_l) && codec::check_plan(d.plan, 11, 13, &r);
        }
        v.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!ok) return -1;
    }
    return stats_of(v).median;
}

// ---------------------------------------------------------------- pre_exec hooks

struct InheritedFds {
    int count;
};

// In the spawner's child: open `count` extra, undeclared fds for the launcher to scrub.
int open_inherited(void* arg) {
    int count = static_cast<InheritedFds*>(arg)->count;
    int null = ::open("/dev/null", O_RDONLY);
    if (null < 0) return errno;
    for (int i = 0; i < count; ++i) {
        if (::dup2(null, 200 + i) < 0) return errno;
    }
    return 0;
}

std::string kernel() {
    utsname u{};
    ::uname(&u);
    return u.release;
}

} // namespace

int main(int argc, char** argv) {
    std::string out_path = "build/bench/BENCHMARKS.md";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--launcher" && i + 1 < argc)
            g_launcher = argv[++i];
        else if (a == "--nop" && i + 1 < argc)
            g_nop = argv[++i];
        else if (a == "--rounds" && i + 1 < argc)
            g_rounds = std::atoi(argv[++i]);
        else if (a == "--out" && i + 1 < argc)
            out_path = argv[++i];
        else {
            std::fprintf(
                stderr,
                "usage: bvisor-bench --launcher PATH [--nop PATH] [--rounds N] [--out FILE]\n");
            return 2;
        }
    }
    if (g_launcher.empty()) g_launcher = "build/bin/bvisor-linux-launcher";
    // Room for 20,000 inherited fds: raise the soft limit to the hard one.
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    const long hard_nofile = static_cast<long>(rl.rlim_max);

    std::ostringstream md;
    md << "# Benchmarks\n\n";
    md << "Measured by `ninja bench` (tests/bench/bench.cpp) in one run on this machine: "
       << "Linux " << kernel() << ", " << ::sysconf(_SC_NPROCESSORS_ONLN)
       << " CPUs, running as uid " << ::geteuid()
       << ". The machine is shared and noisy: compare ratios within one run, not absolute numbers "
          "across runs.\n\n";

    Scratch scratch;
    std::string ro = scratch.dir("ro"), rw = scratch.dir("rw");
    bool can_landlock = test::landlock_usable();
    bool can_userns = test::userns_available();
    bool have_bwrap = ::access("/usr/bin/bwrap", X_OK) == 0;
    bool have_strace = ::access("/usr/bin/strace", X_OK) == 0;
    std::string cgroup_leaf;
    if (auto m = test::cgroup2_mount(); m && ::geteuid() == 0) {
        std::string leaf = *m + "/bvisor-bench-" + std::to_string(::getpid());
        if (::mkdir(leaf.c_str(), 0755) == 0) cgroup_leaf = leaf;
    }

    // --- 1. launch latency of /bin/true
    std::vector<Prepared> plans;
    plans.push_back(prepare("launcher: scrub + exec (no confinement)", true_plan()));
    if (can_landlock) {
        plans.push_back(prepare("launcher: scrub + landlock + exec",
                                true_plan().read_root(ro).write_root(rw).system_roots()));
        plans.push_back(
            prepare("launcher: + seccomp",
                    true_plan().read_root(ro).write_root(rw).system_roots().seccomp({true, true})));
        if (can_userns) {
            plans.push_back(
                prepare("launcher: + seccomp + userns + netns", true_plan()
                                                                    .read_root(ro)
                                                                    .write_root(rw)
                                                                    .system_roots()
                                                                    .seccomp({true, true})
                                                                    .user_namespace()
                                                                    .network_namespace()));
            if (!cgroup_leaf.empty()) {
                plans.push_back(prepare("launcher: + seccomp + userns + netns + cgroup",
                                        true_plan()
                                            .read_root(ro)
                                            .write_root(rw)
                                            .system_roots()
                                            .seccomp({true, true})
                                            .user_namespace()
                                            .network_namespace()
                                            .cgroup(cgroup_leaf)));
            }
        }
    }
    std::vector<Row> rows;
    rows.push_back(Row{"bare `/bin/true` (posix_spawn)",
                       [] {
                           return RunResult{spawn_and_wait({"/bin/true"}), 0};
                       },
                       {},
                       {}});
    for (const auto& p : plans)
        rows.push_back(Row{p.name, [&p] { return launch_once(p); }, {}, {}});
    if (have_bwrap) {
        rows.push_back(Row{"bwrap --ro-bind / / --dev /dev /bin/true",
                           [] {
                               return RunResult{spawn_and_wait({"/usr/bin/bwrap", "--ro-bind", "/",
                                                                "/", "--dev", "/dev", "/bin/true"}),
                                                0};
                           },
                           {},
                           {}});
    }
    std::fprintf(stderr, "bvisor-bench: %d alternating rounds of %zu configurations...\n", g_rounds,
                 rows.size());
    run_alternating(rows, g_rounds);
    double bare = stats_of(rows[0].ms).median;
    double bwrap = have_bwrap ? stats_of(rows.back().ms).median : 0;
    md << "## Launch latency of `/bin/true`\n\n"
       << g_rounds
       << " alternating rounds. A launcher run is measured from the host library's spawn to the "
          "reaped launcher "
          "(sealed memfd, socketpair, posix_spawn of the launcher, its checks, clone3, the child "
          "window, exec of "
          "/bin/true, and the transcript read to EOF). Bare /bin/true is posix_spawn + "
          "waitpid.\n\n";
    md << "| configuration | median ms | p10 - p90 ms | x bare | x bwrap |\n| --- | --- | --- | "
          "--- | --- |\n";
    for (const auto& r : rows) {
        Stats s = stats_of(r.ms);
        md << "| " << r.name << " | " << fmt(s.median) << " | " << fmt(s.p10) << " - " << fmt(s.p90)
           << " | " << fmt(s.median / bare) << " | " << (have_bwrap ? fmt(s.median / bwrap) : "n/a")
           << " |\n";
    }
    if (!have_bwrap) md << "\n(bubblewrap is not installed: `toolchain/install-deps.sh bench`.)\n";

    // --- 1b. where the time goes: the fixed cost, and the same launches on one CPU
    if (!g_nop.empty() && can_landlock) {
        Prepared nop = prepare("launcher: scrub + exec of a static no-op",
                               PlanBuilder().exe(g_nop).argv({"nop"}));
        const Prepared& confined = plans[1]; // scrub + landlock + exec of /bin/true
        std::vector<Row> where;
        where.push_back(Row{"bare static no-op (posix_spawn)",
                            [] {
                                return RunResult{spawn_and_wait({g_nop}), 0};
                            },
                            {},
                            {}});
        where.push_back(Row{nop.name, [&nop] { return launch_once(nop); }, {}, {}});
        where.push_back(
            Row{"bare `/bin/true`, one CPU",
                [] {
                    return on_one_cpu([] { return RunResult{spawn_and_wait({"/bin/true"}), 0}; });
                },
                {},
                {}});
        where.push_back(
            Row{"launcher: scrub + landlock + exec, one CPU",
                [&confined] { return on_one_cpu([&confined] { return launch_once(confined); }); },
                {},
                {}});
        run_alternating(where, g_rounds);
        double nop_bare = stats_of(where[0].ms).median;
        double nop_launch = stats_of(where[1].ms).median;
        double one_bare = stats_of(where[2].ms).median;
        md << "\n### Where the time goes\n\n"
           << g_rounds
           << " more alternating rounds. A static no-op program (built like the launcher) has "
              "no dynamic loader to run, so its two rows isolate the launcher path's fixed "
              "cost: one more exec, a clone3, the transcript and the host's plan memfd and "
              "socketpair. The one-CPU rows run the same launches with the whole process tree "
              "allowed on a single CPU (sched_setaffinity), so no wake-up crosses CPUs.\n\n"
           << "| configuration | median ms | p10 - p90 ms | x its bare row |\n"
              "| --- | --- | --- | --- |\n";
        const double base[4] = {nop_bare, nop_bare, one_bare, one_bare};
        for (size_t i = 0; i < where.size(); ++i) {
            Stats st = stats_of(where[i].ms);
            md << "| " << where[i].name << " | " << fmt(st.median) << " | " << fmt(st.p10) << " - "
               << fmt(st.p90) << " | " << fmt(st.median / base[i]) << " |\n";
        }
        md << "\nFixed cost of the launcher path (no-op through the launcher minus bare no-op): "
           << fmt(nop_launch - nop_bare, 3) << " ms. Added to bare `/bin/true` (" << fmt(bare, 3)
           << " ms) that alone predicts " << fmt((bare + nop_launch - nop_bare) / bare)
           << "x; the 1.3x target allows " << fmt(0.3 * bare, 3) << " ms.\n";
    }

    // --- 1c. the command people run: bvisor-run end to end, with stdio on a terminal
    // (the relay: a new pty each run) and without one.
    std::string run_tool = g_launcher.substr(0, g_launcher.rfind('/') + 1) + "bvisor-run";
    if (::access(run_tool.c_str(), X_OK) == 0 && can_landlock) {
        int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char name[128] = {};
        int slave = -1;
        if (master >= 0 && ::grantpt(master) == 0 && ::unlockpt(master) == 0 &&
            ::ptsname_r(master, name, sizeof name) == 0)
            slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        std::vector<Row> e2e;
        e2e.push_back(Row{"bare `/bin/true`, stdio /dev/null",
                          [] {
                              return RunResult{spawn_and_wait({"/bin/true"}), 0};
                          },
                          {},
                          {}});
        e2e.push_back(Row{"`bvisor-run -- /bin/true`, stdio /dev/null",
                          [&] {
                              return RunResult{spawn_and_wait({run_tool, "--", "/bin/true"}), 0};
                          },
                          {},
                          {}});
        if (slave >= 0) {
            e2e.push_back(Row{"bare `/bin/true`, stdio a terminal",
                              [&] {
                                  return RunResult{spawn_and_wait({"/bin/true"}, slave), 0};
                              },
                              {},
                              {}});
            e2e.push_back(
                Row{"`bvisor-run -- /bin/true`, stdio a terminal (relayed)",
                    [&] {
                        return RunResult{spawn_and_wait({run_tool, "--", "/bin/true"}, slave), 0};
                    },
                    {},
                    {}});
        }
        run_alternating(e2e, g_rounds);
        double base_null = stats_of(e2e[0].ms).median;
        md << "\n### bvisor-run end to end\n\n"
           << g_rounds
           << " more alternating rounds of the command people run. With a terminal on fds "
              "0-2, bvisor-run makes a new pseudo-terminal for the workload and relays it "
              "(bvisor/terminal.hpp); without one it passes the fds as they are.\n\n"
           << "| configuration | median ms | p10 - p90 ms | x bare, same stdio |\n"
              "| --- | --- | --- | --- |\n";
        for (size_t i = 0; i < e2e.size(); ++i) {
            Stats st = stats_of(e2e[i].ms);
            double base = i < 2 ? base_null : stats_of(e2e[2].ms).median;
            md << "| " << e2e[i].name << " | " << fmt(st.median) << " | " << fmt(st.p10) << " - "
               << fmt(st.p90) << " | " << fmt(st.median / base) << " |\n";
        }
        if (e2e.size() == 4)
            md << "\nThe relay's cost (terminal minus /dev/null, through bvisor-run): "
               << fmt(stats_of(e2e[3].ms).median - stats_of(e2e[1].ms).median, 3) << " ms.\n";
        if (slave >= 0) ::close(slave);
        if (master >= 0) ::close(master);
    }

    // --- 2. syscalls and RSS
    md << "\n## Syscalls per launch and peak RSS\n\n";
    if (have_strace) {
        md << "One `strace -f` of each launch. *launcher* is the launcher process itself; *child "
              "window* is the "
              "child from clone3 up to and including its execveat; *workload* is /bin/true after "
              "exec.\n\n";
        md << "| configuration | total | launcher | child window | workload |\n"
              "| --- | --- | --- | --- | --- |\n";
        SyscallCounts b = strace_bare(scratch.path + "/bare.trace");
        md << "| bare `/bin/true` | " << b.total << " | - | - | " << b.workload << " |\n";
        for (size_t i = 0; i < plans.size(); ++i) {
            SyscallCounts c =
                strace_launch(plans[i], scratch.path + "/l" + std::to_string(i) + ".trace");
            md << "| " << plans[i].name << " | " << c.total << " | " << c.launcher << " | "
               << c.child_window << " | " << c.workload << " |\n";
        }
    } else {
        md << "(strace is not installed: `toolchain/install-deps.sh bench`.)\n";
    }

    {
        md << "\nThe launcher's peak resident set (VmHWM of its own address space, read from /proc "
              "while it "
              "supervises `sleep 0.3`):\n\n| plan | launcher VmHWM |\n| --- | --- |\n";
        PlanBuilder small;
        small.exe("/bin/sleep").argv({"sleep", "0.3"}).read_root(ro).system_roots();
        md << "| scrub + landlock + exec, 8 slots | " << launcher_hwm_kb(small) << " KiB |\n";
        PlanBuilder big;
        big.exe("/bin/sleep").argv({"sleep", "0.3"}).read_root(ro).system_roots();
        for (int i = 0; i < 300; ++i)
            big.env("VAR_" + std::to_string(i), std::string(3000, 'v')); // ~1 MiB plan
        md << "| the same with a ~1 MiB environment | " << launcher_hwm_kb(big) << " KiB |\n";
    }

    // --- 3. decode + verify
    md << "\n## Decode and verify\n\nThe launcher's checks 1-8 (frame, BLAKE3, strict decode, h_l, "
          "plan checks) "
          "run in-process with the same codec the launcher links; median of many runs.\n\n";
    md << "| plan | frame bytes | median decode+verify |\n| --- | --- | --- |\n";
    for (size_t target : {size_t{1024}, size_t{1024 * 1024}}) {
        PreparedLaunch p = true_plan().build();
        std::string filler(100, 'x');
        while (encode_frame(p.body).size() < target)
            p.body.target.argv.push_back(filler);
        Bytes f = encode_frame(p.body);
        double us = time_decode(f, target < 4096 ? 20000 : 200);
        md << "| " << (target < 4096 ? "1 KiB" : "1 MiB") << " | " << f.size() << " | "
           << (us < 1000 ? fmt(us, 1) + " us" : fmt(us / 1000.0, 2) + " ms") << " |\n";
    }

    // --- 4. scaling
    md << "\n## How the cost grows\n\nMedian launch latency (ms) of `/bin/true` with scrub + "
          "landlock + exec "
          "(system roots included), over "
       << std::max(20, g_rounds / 3) << " alternating rounds per table.\n\n";
    int scale_rounds = std::max(20, g_rounds / 3);
    auto scale_table = [&](const std::string& title,
                           std::vector<std::pair<std::string, Prepared>>& cases) {
        std::vector<Row> srows;
        for (auto& c : cases) {
            Prepared* p = &c.second;
            srows.push_back(Row{c.first, [p] { return launch_once(*p); }, {}, {}});
        }
        run_alternating(srows, scale_rounds);
        md << "| " << title << " | median ms | x first |\n| --- | --- | --- |\n";
        double first = stats_of(srows[0].ms).median;
        for (const auto& r : srows) {
            double m = stats_of(r.ms).median;
            md << "| " << r.name << " | " << fmt(m) << " | " << fmt(m / first) << " |\n";
        }
        md << "\n";
    };
    if (can_landlock) {
        std::vector<std::pair<std::string, Prepared>> roots;
        for (int n : {1, 16, 256}) {
            PlanBuilder b = true_plan();
            b.system_roots();
            for (int i = 0; i < n; ++i)
                b.read_root(scratch.dir("root" + std::to_string(i)));
            roots.emplace_back(std::to_string(n) + " extra read roots", prepare("roots", b));
        }
        scale_table("roots", roots);

        static InheritedFds fds_cases[3];
        std::vector<int> counts = {10, 1000,
                                   static_cast<int>(std::min<long>(hard_nofile - 300, 20000))};
        std::vector<std::pair<std::string, Prepared>> fds;
        for (size_t i = 0; i < counts.size(); ++i) {
            fds_cases[i].count = counts[i];
            Prepared p = prepare("fds", true_plan().read_root(ro).system_roots());
            p.pre_exec = open_inherited;
            p.pre_exec_arg = &fds_cases[i];
            fds.emplace_back(std::to_string(counts[i]) + " inherited fds (scrubbed)", std::move(p));
        }
        scale_table("inherited fds", fds);

        std::vector<std::pair<std::string, Prepared>> envs;
        for (int n : {1, 100, 1000, 10000}) {
            PlanBuilder b = true_plan();
            b.read_root(ro).system_roots();
            for (int i = 1; i < n; ++i)
                b.env("VAR_" + std::to_string(i), std::string(24, 'v'));
            envs.emplace_back(std::to_string(n) + " environment variables", prepare("env", b));
        }
        scale_table("environment", envs);
    }

    // --- 5. size and targets
    struct stat st {};
    std::string stripped = scratch.path + "/launcher.stripped";
    std::string cmd = "strip -o '" + stripped + "' '" + g_launcher + "'";
    long size = std::system(cmd.c_str()) == 0 && ::stat(stripped.c_str(), &st) == 0
                    ? static_cast<long>(st.st_size)
                    : -1;
    md << "## Targets\n\n| target | measured | met |\n| --- | --- | --- |\n";
    auto target_row = [&](const std::string& what, const std::string& measured, bool met) {
        md << "| " << what << " | " << measured << " | " << (met ? "yes" : "**no**") << " |\n";
    };
    if (rows.size() > 2) {
        double ll = stats_of(rows[2].ms).median; // scrub + landlock + exec
        target_row("scrub+landlock+exec <= 1.3x bare /bin/true", fmt(ll / bare) + "x",
                   ll / bare <= 1.3);
        if (rows.size() > 3) {
            double sec = stats_of(rows[3].ms).median;
            target_row("+ seccomp <= 1.3x bare /bin/true", fmt(sec / bare) + "x",
                       sec / bare <= 1.3);
        }
        if (have_bwrap)
            target_row("scrub+landlock+exec <= 0.3x bwrap", fmt(ll / bwrap) + "x",
                       ll / bwrap <= 0.3);
    }
    target_row("launcher <= 64 KiB stripped", std::to_string(size) + " bytes",
               size >= 0 && size <= 65536);

    if (!cgroup_leaf.empty()) ::rmdir(cgroup_leaf.c_str());
    std::string text = md.str();
    std::fputs(text.c_str(), stdout);
    std::string dir = out_path.substr(0, out_path.rfind('/'));
    if (!dir.empty() && dir != out_path) ::mkdir(dir.c_str(), 0755);
    std::ofstream(out_path) << text;
    std::fprintf(stderr, "bvisor-bench: wrote %s\n", out_path.c_str());
    return 0;
}
