// bvisor-run: the plan a run launches. The options say what to ask for; the program
// and roots opened before are moved into it as grants.
#include "plan.h"

#include "bvisor/plan_json.hpp"
#include "codec/blake3.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <sys/random.h>
#include <unistd.h>

namespace bvisor::run {
namespace {

Digest random_digest() {
    Digest d;
    size_t got = 0;
    while (got < d.size()) {
        ssize_t n = ::getrandom(d.data() + got, d.size() - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(kExitFailed, std::string("getrandom: ") + std::strerror(errno));
        got += static_cast<size_t>(n);
    }
    return d;
}

// The default network policy, plus the ports the options grant.
NetworkPolicy network_policy(const Options& o) {
    NetworkPolicy p;
    auto fill = [](Ports& out, const std::vector<uint16_t>& in) {
        for (uint16_t port : in)
            out.port[out.count++] = port;
    };
    fill(p.tcp_connect, o.connect_ports);
    fill(p.tcp_bind, o.bind_ports);
    return p;
}

} // namespace

PreparedLaunch build_plan(const Options& o, Exec& exec, std::vector<Root>& roots) {
    PlanBuilder b;
    b.exe_fd(std::move(exec.exe.fd)).argv(exec.argv);
    for (const auto& [n, v] : o.env)
        b.env(n, v);
    for (auto& r : roots) {
        if (r.role == Role::ReadRoot)
            b.read_root(std::move(r.fd));
        else
            b.write_root(std::move(r.fd));
    }
    if (o.deny_fork || o.deny_sockets) b.seccomp(SeccompRequest{o.deny_fork, o.deny_sockets});
    if (o.userns) b.user_namespace();
    if (o.no_network) b.network_namespace();
    if (!o.cgroup.empty()) b.cgroup(o.cgroup);
    if (o.strict) b.require_hardening();
    if (o.keep_caps) b.keep_capabilities(o.keep_caps);
    if (o.allow_abstract_unix) b.allow_abstract_unix();
    if (o.allow_signals) b.allow_signals();
    if (o.landlock_min_abi) b.landlock_min_abi(o.landlock_min_abi);
    if (!o.allow_net) b.network(network_policy(o));

    PreparedLaunch prepared;
    try {
        // attempt_id: random per run. plan_id: BLAKE3 of the canonical target (the
        // same command gives the same plan_id). h_a, h_p: zero (no admission program,
        // no backend profile).
        prepared = b.build();
        Bytes target = encode_target(prepared.body.target);
        codec::Digest plan_id = codec::Blake3::hash(target.data(), target.size());
        Digest pid;
        std::memcpy(pid.data(), plan_id.bytes, pid.size());
        prepared.body.attempt_id = random_digest();
        prepared.body.plan_id = pid;
    } catch (const std::exception& e) {
        fail(kExitFailed, e.what());
    }
    return prepared;
}

void print_dry_run(const PreparedLaunch& prepared) {
    for (const auto& g : prepared.grants) {
        char link[64], target[PATH_MAX] = {};
        std::snprintf(link, sizeof link, "/proc/self/fd/%d", g.fd.get());
        ssize_t n = ::readlink(link, target, sizeof target - 1);
        if (n > 0) std::fprintf(stderr, "bvisor-run: slot %d = %s\n", g.slot, target);
    }
    std::printf("%s\n", to_json(prepared.body).c_str());
}

} // namespace bvisor::run
