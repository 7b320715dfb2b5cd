// tests/support/launch.cpp: see launch.hpp.
#include "launch.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <dirent.h>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace bvisor::test {

LaunchOptions as(const Who& who) {
    LaunchOptions o;
    o.who = who;
    return o;
}

void require_identity(const Who& who) {
    if (!running_as_root()) {
        if (!who.unprivileged) SKIP("the \"as root\" variant needs the tests to run as root");
    }
}

LaunchRequest make_request(PreparedLaunch prepared, LaunchOptions opts) {
    LaunchRequest req;
    std::string launcher = opts.testhooks ? testhooks_launcher_path() : launcher_path();
    bool drop = opts.who.unprivileged && running_as_root();
    req.launcher = drop ? reachable_copy(launcher) : launcher;
    req.frame = encode_frame(prepared.body);
    req.grants = std::move(prepared.grants);
    for (auto& g : opts.extra_grants)
        req.grants.push_back(std::move(g));
    req.extra_env = opts.extra_env;
    req.plan_fd = opts.plan_fd;
    req.stdin_data = opts.stdin_data;
    req.join_cgroup_procs = opts.join_cgroup_procs;
    req.pre_exec = opts.pre_exec;
    req.pre_exec_arg = opts.pre_exec_arg;
    if (drop) {
        req.run_as_uid = kNobody;
        req.run_as_gid = kNobody;
    }
    req.timeout = std::chrono::seconds(60);
    return req;
}

Observation launch(PreparedLaunch prepared, LaunchOptions opts) {
    return run_launcher(make_request(std::move(prepared), std::move(opts)));
}

Observation launch_frame(const Bytes& frame, std::vector<Grant> grants, LaunchOptions opts) {
    PreparedLaunch p;
    p.grants = std::move(grants);
    LaunchRequest req = make_request(std::move(p), std::move(opts));
    req.frame = frame;
    return run_launcher(std::move(req));
}

PlanBuilder shell(const std::string& script) {
    PlanBuilder b;
    b.exe("/bin/sh").argv({"sh", "-c", script}).env("PATH", "/usr/bin:/bin");
    return b;
}

std::string probe_path() { return reachable_copy(bin_dir() + "/bvisor-test-probe"); }

std::string probe_dir() {
    std::string p = probe_path();
    return p.substr(0, p.rfind('/'));
}

PlanBuilder probe(std::vector<std::string> args) {
    args.insert(args.begin(), "bvisor-test-probe");
    PlanBuilder b;
    b.exe(probe_path()).argv(std::move(args));
    return b;
}

long child_pid(Launch& l) {
    auto line = l.wait_for_line("# mechanism=clone3 child_pid=", std::chrono::seconds(20));
    REQUIRE(line.has_value());
    return std::stol(line->substr(line->rfind('=') + 1));
}

std::string proc_file(long pid, const std::string& name) {
    try {
        return read_file("/proc/" + std::to_string(pid) + "/" + name);
    } catch (...) {
        return "";
    }
}

std::vector<long> sleeps_with(const std::string& tag) {
    std::string needle = std::string("/bin/sleep") + '\0' + tag + '\0';
    std::vector<long> found;
    DIR* d = ::opendir("/proc");
    if (!d) return found;
    while (dirent* e = ::readdir(d)) {
        char* end;
        long pid = std::strtol(e->d_name, &end, 10);
        if (*end || pid <= 0) continue;
        if (proc_file(pid, "cmdline").find(needle) != std::string::npos) found.push_back(pid);
    }
    ::closedir(d);
    return found;
}

long window_child(pid_t launcher) {
    long found = 0;
    DIR* d = ::opendir("/proc");
    if (!d) return 0;
    while (dirent* e = ::readdir(d)) {
        char* end;
        long pid = std::strtol(e->d_name, &end, 10);
        if (*end || pid <= 0) continue;
        std::string stat = proc_file(pid, "stat");
        size_t open = stat.find('('), close = stat.rfind(')');
        if (open == std::string::npos || close == std::string::npos) continue;
        long ppid = std::strtol(stat.c_str() + close + 4, nullptr, 10);
        if (ppid == launcher && stat.compare(open + 1, 7, "bvisor/") == 0) found = pid;
    }
    ::closedir(d);
    return found;
}

char proc_state(long pid) {
    std::string stat = proc_file(pid, "stat");
    size_t close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 6000; ++i) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return done();
}

void give_to(const Who& who, const std::string& path) {
    if (who.unprivileged && running_as_root()) {
        if (::chown(path.c_str(), kNobody, kNobody) != 0) FAIL("chown " << path);
    }
}

std::string show(const Observation& o) {
    std::ostringstream s;
    s << "launcher "
      << (o.launcher.exited ? "exit " + std::to_string(o.launcher.code)
                            : "signal " + std::to_string(o.launcher.signal))
      << (o.timed_out ? " (timed out)" : "") << "\n--- transcript\n"
      << o.transcript << "--- stdout\n"
      << o.out << "\n--- stderr\n"
      << o.err;
    return s.str();
}

} // namespace bvisor::test
