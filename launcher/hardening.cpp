// launcher/hardening.cpp: see hardening.h.
#include "hardening.h"

#include "sys/errno.h"
#include "sys/process.h"
#include "sys/seccomp.h"
#include "transcript.h"

#include "codec/seccomp_bpf.h"

#include <sys/prctl.h>

namespace bvisor::launcher {

namespace {

codec::BpfInsn g_filter[codec::kMaxHardeningInsns];
struct sock_fprog g_fprog;

using sys::kEacces;
using sys::kEnosys;
using sys::kEperm;

// The highest capability number this kernel knows (PR_CAPBSET_READ says EINVAL past it).
int last_capability() {
    int cap = 0;
    while (cap <= static_cast<int>(codec::kMaxCapability) &&
           sys::sys_prctl(PR_CAPBSET_READ, static_cast<unsigned long>(cap)) >= 0)
        ++cap;
    return cap - 1;
}

bool has_setpcap() {
    sys::CapData data[2];
    if (sys::sys_capget(data) < 0) return false;
    return data[0].effective & (1u << sys::kCapSetpcap);
}

} // namespace

HardeningSetup prepare_hardening(const codec::Plan& plan, const codec::Schedule& schedule,
                                 const LandlockSetup& landlock, const NetworkSetup& network,
                                 ChildPlan& child) {
    HardeningSetup h;
    h.active = schedule.hardened();
    if (!h.active) return h;
    const bool required = schedule.hardening > 0;
    if (required && landlock.scopes_missing) {
        Line detail;
        detail.append("Landlock scopes (signal, abstract_unix), required by the plan's "
                      "hardening entry: this kernel has Landlock ABI ");
        detail.append_u64(static_cast<uint64_t>(landlock.abi))
            .append(", they need ABI 6 (Linux 6.12)");
        g_transcript.refuse(codec::RefusalReason::MissingPrimitive, detail);
    }

    // Keyrings: a kernel without them (ENOSYS), or a filter or LSM that refuses keyctl
    // (EPERM, EACCES: Docker's default profile does), leaves the workload no keyring to
    // read either, since it inherits the same filter. Anything else: join a fresh one,
    // or fail closed in the child.
    h.keyring_probe = sys::sys_keyctl(sys::kKeyctlGetKeyringId, sys::kKeySpecSessionKeyring, 0);
    h.keyring =
        !(h.keyring_probe == kEnosys || h.keyring_probe == kEperm || h.keyring_probe == kEacces);

    // The bounding set needs CAP_SETPCAP: root has it, and so has uid 0 in a new user
    // namespace. Without it no_new_privs (always set here) keeps exec from using it.
    h.last_cap = last_capability();
    h.bounding = plan.target.user_namespace || has_setpcap();

    long avail = sys::sys_seccomp_errno_available();
    h.filter_available = avail == 0;
    if (!h.filter_available && required) {
        Line detail;
        detail.append("a seccomp filter, required by the plan's hardening entry: ");
        append_os_error(detail, avail);
        g_transcript.refuse(codec::RefusalReason::MissingPrimitive, detail);
    }
    if (h.filter_available) {
        h.filter.truncate_by_seccomp = landlock.truncate_by_seccomp;
        h.filter.network = network.filter; // the network stage refused without a filter
        size_t n = codec::compile_hardening_filter(h.filter, g_filter);
        g_fprog.len = static_cast<unsigned short>(n);
        g_fprog.filter = reinterpret_cast<struct sock_filter*>(g_filter);
        child.hardening_filter = &g_fprog;
    } else if (landlock.truncate_by_seccomp) {
        // Without the filter, truncation would be unchecked below ABI 3: fail closed.
        Line detail;
        detail.append("Landlock ABI ").append_u64(static_cast<uint64_t>(landlock.abi));
        detail.append(" cannot check truncation, and no seccomp filter can: ");
        append_os_error(detail, avail);
        g_transcript.refuse(codec::RefusalReason::MissingPrimitive, detail);
    }

    child.new_session = true;
    child.join_keyring = h.keyring;
    child.drop_capabilities = true;
    child.drop_bounding = h.bounding;
    child.last_cap = h.last_cap;
    child.keep_capabilities = plan.target.keep_capabilities;
    return h;
}

void hardening_note(const HardeningSetup& h, uint64_t keep_capabilities) {
    if (!h.active) return;
    Line text;
    text.append("hardening session=new keyring=");
    if (h.keyring) {
        text.append("fresh");
    } else {
        text.append("unavailable keyring_errno=").append_i64(-h.keyring_probe);
    }
    text.append(" capabilities=dropped");
    if (keep_capabilities) {
        text.append(" keep=");
        bool first = true;
        for (uint32_t cap = 0; cap <= codec::kMaxCapability; ++cap) {
            if (!(keep_capabilities & (uint64_t{1} << cap))) continue;
            text.append(first ? "" : ",").append_u64(cap);
            first = false;
        }
    }
    // kept: no CAP_SETPCAP to change it, and none to use it with (no_new_privs is set).
    text.append(h.bounding ? " bounding=dropped" : " bounding=kept");
    // The hardening filter's rules (codec/seccomp_bpf.h), or why they are missing.
    text.append(h.filter_available ? " tty_ioctl=denied keyctl=denied io_uring=denied"
                                   : " tty_ioctl=unavailable keyctl=allowed io_uring=allowed");
    g_transcript.note(text);
}

} // namespace bvisor::launcher
