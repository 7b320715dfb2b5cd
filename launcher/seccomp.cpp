// launcher/seccomp.cpp: see seccomp.h.
#include "seccomp.h"

#include "codec/seccomp_bpf.h"

namespace bvisor::launcher {

namespace {

codec::BpfInsn g_filter[codec::kMaxSeccompInsns];
struct sock_fprog g_fprog;

} // namespace

void prepare_seccomp(const codec::Plan& plan, const codec::Schedule& schedule, ChildPlan& child) {
    if (schedule.seccomp == 0) return;
    size_t n = codec::compile_seccomp_denylist(plan.target.seccomp.value, g_filter);
    g_fprog.len = static_cast<unsigned short>(n);
    g_fprog.filter = reinterpret_cast<struct sock_filter*>(g_filter);
    child.seccomp = &g_fprog;
}

} // namespace bvisor::launcher
