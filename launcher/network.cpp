// launcher/network.cpp: see network.h.
#include "network.h"

#include "sys/fd.h"
#include "sys/landlock.h"
#include "sys/seccomp.h"
#include "transcript.h"

namespace bvisor::launcher {

using codec::RefusalReason;

namespace {

constexpr long kLandlockNetAbi = 4; // TCP bind and connect rules, Linux 6.7

void append_ports(Line& text, const codec::Ports& ports) {
    if (ports.empty()) text.append("none");
    for (uint32_t i = 0; i < ports.count; ++i)
        text.append(i ? "," : "").append_u64(ports.port[i]);
}

[[noreturn]] void refuse_missing(const char* what, long abi_or_errno, const char* why) {
    Line detail;
    detail.append(what);
    if (abi_or_errno < 0) {
        append_os_error(detail, abi_or_errno);
    } else {
        detail.append("this kernel has Landlock ABI ")
            .append_u64(static_cast<uint64_t>(abi_or_errno));
    }
    detail.append(why);
    g_transcript.refuse(RefusalReason::MissingPrimitive, detail);
}

// One rule per distinct port, with the rights both lists give it (each list is strictly
// ascending, so this is a merge). False, with the detail, when the kernel rejects one.
bool add_port_rules(int ruleset, const codec::NetworkPolicy& p, Line& detail) {
    const codec::Ports& c = p.tcp_connect;
    const codec::Ports& b = p.tcp_bind;
    uint32_t i = 0, j = 0;
    while (i < c.count || j < b.count) {
        sys::LandlockNetPort rule{0, 0};
        bool take_c = i < c.count && (j >= b.count || c.port[i] <= b.port[j]);
        bool take_b = j < b.count && (i >= c.count || b.port[j] <= c.port[i]);
        rule.port = take_c ? c.port[i] : b.port[j];
        if (take_c) {
            rule.allowed_access |= sys::kLandlockAccessNetConnectTcp;
            ++i;
        }
        if (take_b) {
            rule.allowed_access |= sys::kLandlockAccessNetBindTcp;
            ++j;
        }
        long r = sys::sys_landlock_add_port_rule(ruleset, &rule);
        if (r < 0) {
            detail.append("landlock_add_rule for TCP port ").append_u64(rule.port).append(": ");
            append_os_error(detail, r);
            return false;
        }
    }
    return true;
}

} // namespace

NetworkSetup prepare_network(const codec::Plan& plan, const codec::Schedule& schedule) {
    NetworkSetup n;
    if (schedule.network == 0) return n;
    const codec::NetworkPolicy& policy = plan.target.network.value;

    long avail = sys::sys_seccomp_errno_available();
    if (avail < 0)
        refuse_missing("the network policy needs a seccomp filter: ", avail,
                       "; without one no socket rule can be enforced");

    const bool grants = !policy.tcp_connect.empty() || !policy.tcp_bind.empty();
    n.filter = grants ? codec::NetFilter::TcpOnly : codec::NetFilter::DenyAll;
    if (grants) {
        long abi = sys::sys_landlock_abi();
        if (abi < kLandlockNetAbi)
            refuse_missing("TCP port grants (tcp_connect, tcp_bind) need Landlock ABI 4 (Linux "
                           "6.7): ",
                           abi,
                           "; with no port granted the network is denied by seccomp alone, on "
                           "any kernel");
        sys::LandlockRulesetAttr attr{
            0, sys::kLandlockAccessNetBindTcp | sys::kLandlockAccessNetConnectTcp, 0};
        long ruleset = sys::sys_landlock_create_ruleset(&attr);
        if (ruleset < 0)
            refuse_missing("landlock_create_ruleset (TCP bind and connect): ", ruleset, "");
        Line detail;
        if (!add_port_rules(static_cast<int>(ruleset), policy, detail)) {
            (void)sys::sys_close(static_cast<int>(ruleset));
            g_transcript.refuse(RefusalReason::MissingPrimitive, detail);
        }
        n.ruleset_fd = static_cast<int>(ruleset);
    }

    Line text;
    text.append("network tcp_connect=");
    append_ports(text, policy.tcp_connect);
    text.append(" tcp_bind=");
    append_ports(text, policy.tcp_bind);
    text.append(grants ? " tcp_by=landlock" : " tcp_by=seccomp");
    text.append(" sockets_by=seccomp");
    g_transcript.note(text);
    return n;
}

} // namespace bvisor::launcher
