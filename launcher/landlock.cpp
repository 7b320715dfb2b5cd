// launcher/landlock.cpp: see landlock.h.
#include "landlock.h"

#include "sys/fd.h"
#include "sys/landlock.h"
#include "transcript.h"

namespace bvisor::launcher {

using codec::RefusalReason;

// What Landlock does on ABI N: the one place that answers it, walking down from the
// newest ABI the launcher uses, each older ABI losing what it lacks (as the kernel's
// samples/landlock/sandboxer.c does). Whatever else depends on the ABI is read from
// here, including the truncation the hardening filter must close instead.
LandlockCaps caps_for_abi(long abi) {
    LandlockCaps c;
    c.handled = sys::kLandlockAccessFsAbi3;
    switch (abi) {
    case 1: // no REFER: every cross-directory rename and link fails (stricter, never wider)
        c.handled &= ~static_cast<uint64_t>(LANDLOCK_ACCESS_FS_REFER);
        c.refer = false;
        [[fallthrough]];
    case 2: // no TRUNCATE: truncate(2) and O_TRUNC opens go to the hardening filter
        c.handled &= ~sys::kLandlockAccessFsTruncate;
        c.truncate_by_seccomp = true;
        [[fallthrough]];
    case 3:
    case 4:
    case 5: // no scopes
        c.scopes = false;
        break;
    default: // 6 and newer: everything above (no network rights, no IOCTL_DEV: upstream parity)
        break;
    }
    return c;
}

namespace {

// What one root slot may do, before masking to the handled rights.
uint64_t rights_of(const codec::Slot& s) {
    bool write = s.role == codec::Role::WriteRoot;
    switch (s.kind) {
    case codec::Kind::Directory:
        return write ? sys::kLandlockAccessFsAbi3 : sys::kLandlockAccessFsReadRoot;
    case codec::Kind::Regular:
        return write ? sys::kLandlockAccessFsFile
                     : LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE;
    case codec::Kind::CharDevice: // read, or read and write; never execute
        return write ? LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                           sys::kLandlockAccessFsTruncate
                     : LANDLOCK_ACCESS_FS_READ_FILE;
    case codec::Kind::Socket: // never a root kind (check 3 refuses them): grant nothing
    case codec::Kind::Pipe:
    case codec::Kind::Count:
        break;
    }
    return 0;
}

void append_scopes(Line& text, uint64_t scoped) {
    if (!scoped) {
        text.append("none");
        return;
    }
    bool first = true;
    auto put = [&](uint64_t bit, const char* name) {
        if (!(scoped & bit)) return;
        text.append(first ? "" : ",").append(name);
        first = false;
    };
    put(sys::kLandlockScopeAbstractUnixSocket, "abstract_unix");
    put(sys::kLandlockScopeSignal, "signal");
}

// Check 11: the ruleset and one rule per root slot, into ll.ruleset_fd. False, with
// the refusal and its detail, when the kernel rejects either.
bool build_ruleset(codec::Span<codec::Slot> slots, LandlockSetup& ll, RefusalReason* reason,
                   codec::TextBuf& detail) {
    sys::LandlockRulesetAttr attr{ll.handled, 0, ll.scoped};
    long ruleset = sys::sys_landlock_create_ruleset(&attr);
    if (ruleset < 0) {
        // The kernel rejects what we asked it to handle: it lacks that part of Landlock.
        detail.append("landlock_create_ruleset (handled=0x").append_hex(ll.handled);
        detail.append(" scoped=0x").append_hex(ll.scoped).append("): ");
        append_os_error(detail, ruleset);
        *reason = RefusalReason::MissingPrimitive;
        return false;
    }
    for (const codec::Slot& s : slots) {
        if (s.role != codec::Role::ReadRoot && s.role != codec::Role::WriteRoot) continue;
        sys::LandlockPathBeneath rule;
        rule.allowed_access = rights_of(s) & ll.handled;
        rule.parent_fd = static_cast<int32_t>(s.slot_index);
        long r = sys::sys_landlock_add_path_rule(static_cast<int>(ruleset), &rule);
        if (r < 0) {
            detail.append("landlock_add_rule for slot ").append_u64(s.slot_index).append(" (");
            detail.append(codec::role_name(s.role)).append(", ").append(codec::kind_name(s.kind));
            detail.append("): ");
            append_os_error(detail, r);
            (void)sys::sys_close(static_cast<int>(ruleset));
            *reason = RefusalReason::HandleMismatch;
            return false;
        }
    }
    ll.ruleset_fd = static_cast<int>(ruleset);
    return true;
}

} // namespace

LandlockSetup prepare_landlock(const codec::Plan& plan) {
    LandlockSetup ll;
    ll.abi = sys::sys_landlock_abi();
    if (ll.abi < 0) {
        Line detail;
        detail.append("Landlock is not available: ");
        append_os_error(detail, ll.abi);
        g_transcript.refuse(RefusalReason::MissingPrimitive, detail);
    }
    // The errata query is separate from the ABI number; kernels without it say EINVAL.
    long errata = sys::sys_landlock_errata();
    ll.errata = errata > 0 ? static_cast<unsigned long>(errata) : 0;
    const LandlockCaps caps = caps_for_abi(ll.abi);
    ll.handled = caps.handled;
    ll.truncate_by_seccomp = caps.truncate_by_seccomp;
    {
        Line text;
        text.append("landlock abi=").append_u64(static_cast<uint64_t>(ll.abi));
        text.append(" errata=0x").append_hex(ll.errata);
        text.append(" handled=0x").append_hex(ll.handled);
        text.append(ll.truncate_by_seccomp ? " truncate=seccomp" : " truncate=landlock");
        if (!caps.refer) text.append(" refer=denied");
        g_transcript.note(text);
    }
    const codec::Target& t = plan.target;
    if (t.landlock_min_abi > ll.abi) {
        Line detail;
        detail.append("Landlock: this kernel has Landlock ABI ")
            .append_u64(static_cast<uint64_t>(ll.abi));
        detail.append(", below the plan's landlock_min_abi ").append_u64(t.landlock_min_abi);
        g_transcript.refuse(RefusalReason::MissingPrimitive, detail);
    }

    uint64_t wanted = (t.allow_abstract_unix ? 0 : sys::kLandlockScopeAbstractUnixSocket) |
                      (t.allow_signals ? 0 : sys::kLandlockScopeSignal);
    if (caps.scopes) {
        ll.scoped = wanted;
        Line text;
        text.append("landlock scopes=");
        append_scopes(text, wanted);
        g_transcript.note(text);
    } else if (wanted) {
        // Refused by the hardening stage when the plan requires it (hardening.h).
        ll.scopes_missing = true;
        Line text;
        text.append("landlock scopes=unavailable abi=").append_u64(static_cast<uint64_t>(ll.abi));
        g_transcript.note(text);
    }
    Line detail;
    RefusalReason reason;
    if (!build_ruleset(plan.descriptor_table, ll, &reason, detail))
        g_transcript.refuse(reason, detail);
    return ll;
}

} // namespace bvisor::launcher
