// launcher/landlock.cpp: see landlock.h.
#include "landlock.h"

#include "sys/fd.h"
#include "sys/landlock.h"
#include "transcript.h"

namespace bvisor::launcher {

LandlockProbe probe_landlock() {
    LandlockProbe p{sys::sys_landlock_abi(), 0};
    // The errata query is separate from the ABI number; kernels without it say EINVAL.
    long errata = sys::sys_landlock_errata();
    p.errata = errata > 0 ? static_cast<unsigned long>(errata) : 0;
    return p;
}

int build_ruleset(codec::Span<codec::Slot> slots, codec::TextBuf& detail) {
    sys::LandlockRulesetAttrV1 attr{sys::kLandlockAccessFsAbi3};
    long ruleset = sys::sys_landlock_create_ruleset(&attr);
    if (ruleset < 0) {
        detail.append("landlock_create_ruleset: ");
        append_os_error(detail, ruleset);
        return -1;
    }
    for (const codec::Slot& s : slots) {
        if (s.role != codec::Role::ReadRoot && s.role != codec::Role::WriteRoot) continue;
        sys::LandlockPathBeneath rule;
        rule.allowed_access = s.role == codec::Role::ReadRoot ? sys::kLandlockAccessFsReadRoot
                                                              : sys::kLandlockAccessFsAbi3;
        rule.parent_fd = static_cast<int32_t>(s.slot_index);
        long r = sys::sys_landlock_add_path_rule(static_cast<int>(ruleset), &rule);
        if (r < 0) {
            detail.append("landlock_add_rule for slot ").append_u64(s.slot_index).append(" (");
            detail.append(codec::role_name(s.role)).append("): ");
            append_os_error(detail, r);
            (void)sys::sys_close(static_cast<int>(ruleset));
            return -1;
        }
    }
    return static_cast<int>(ruleset);
}

} // namespace bvisor::launcher
