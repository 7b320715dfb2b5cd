// launcher/network.h: the network policy stage (linux.network.restrict.v1;
// docs/PROTOCOL.md section 11.4), run in the coordinator before clone3.
//
// A plan with the network entry denies every network access but the TCP ports of its
// target.network. Two mechanisms, each doing what only it can:
//   * the socket rules of the hardening filter (codec/seccomp_bpf.h NetFilter): which
//     sockets may exist at all. AF_UNIX and NETLINK_ROUTE stay; with no port granted,
//     no IPv4 or IPv6 socket can be made, on every kernel with seccomp filters;
//   * with a port granted, Landlock's TCP rules (ABI 4, Linux 6.7): a ruleset of its own,
//     handling only TCP bind and connect, with one rule per port, as a second Landlock
//     layer. The socket rules then allow TCP sockets and nothing else of IPv4 or IPv6,
//     and close fast-open sends, which connect without connect(2).
// A kernel without either refuses MissingPrimitive, naming what is missing: a grant is
// never widened into "everything", and deny-all never into "nothing denied".
//
// Not here: installing them (the child does), the hardening filter's other rules.
#pragma once

#include "codec/checks.h"
#include "codec/plan.h"
#include "codec/seccomp_bpf.h"

namespace bvisor::launcher {

struct NetworkSetup {
    codec::NetFilter filter = codec::NetFilter::Off; // Off: no network entry
    int ruleset_fd = -1;                             // the TCP port rules, or -1
};

// Refuses (exit 3) through the transcript when the kernel cannot enforce the plan's
// network policy; writes `# network ...` otherwise.
NetworkSetup prepare_network(const codec::Plan& plan, const codec::Schedule& schedule);

} // namespace bvisor::launcher
