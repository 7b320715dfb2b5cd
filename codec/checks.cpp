// codec/checks.cpp: checks 3..8 of PROTOCOL.md section 7 (see checks.h).
#include "checks.h"

#include "blake3.h"
#include "msgpack.h"
#include "text.h"

namespace bvisor::codec {

namespace {

bool refuse(Refusal* ret, RefusalReason reason, Error code) {
    *ret = Refusal{};
    ret->reason = reason;
    ret->status.code = code;
    return false;
}

void set_where(Status& st, const char* what, int64_t index) {
    TextBuf t(st.where, kWhereMax);
    t.append(what);
    if (index >= 0) t.append("[").append_u64(static_cast<uint64_t>(index)).append("]");
    st.index = static_cast<int32_t>(index);
}

bool is_singleton(Role r) { return r != Role::ReadRoot && r != Role::WriteRoot; }
bool is_stdio(Role r) { return r == Role::Stdin || r == Role::Stdout || r == Role::Stderr; }
bool is_root(Role r) { return r == Role::ReadRoot || r == Role::WriteRoot; }

// The kinds a role may be declared as; nullptr when any kind is allowed.
const char* required_kinds(Role r, Kind k) {
    switch (r) {
    case Role::ReadRoot:
    case Role::WriteRoot:
        // Single-file roots are an extension (PROTOCOL.md section 11.1); upstream refuses
        // them here.
        return (k == Kind::Directory || k == Kind::Regular || k == Kind::CharDevice)
                   ? nullptr
                   : "Directory, Regular or CharDevice";
    case Role::CgroupDir:
        return k == Kind::Directory ? nullptr : "Directory";
    case Role::TargetExe:
        return k == Kind::Regular ? nullptr : "Regular";
    case Role::ControlChannel:
        return (k == Kind::Socket || k == Kind::Pipe) ? nullptr : "Socket or Pipe";
    case Role::Stdin:
    case Role::Stdout:
    case Role::Stderr:
    case Role::Count:
        return nullptr;
    }
    return nullptr; // not a Role: the decoder never makes one
}

bool has_byte(Str s, char c) {
    for (uint32_t i = 0; i < s.len; ++i)
        if (s.ptr[i] == c) return true;
    return false;
}

} // namespace

Schedule summarize(Span<LoweringEntry> lowering) {
    Schedule s;
    for (const auto& e : lowering) {
        Primitive p;
        if (!primitive_of(e.id, e.phase_code, &p)) continue;
        switch (p) {
        case Primitive::Scrub:
            ++s.scrub;
            break;
        case Primitive::Landlock:
            ++s.landlock;
            break;
        case Primitive::Seccomp:
            ++s.seccomp;
            break;
        case Primitive::Exec:
            ++s.exec;
            break;
        case Primitive::Hardening:
            ++s.hardening;
            break;
        case Primitive::Network:
            ++s.network;
            break;
        case Primitive::Count:
            break;
        }
    }
    return s;
}

PhaseResult confinement_result(const Schedule& s) {
    return s.confinement() == 0 ? PhaseResult::NotRequired : PhaseResult::Applied;
}

Status validate_table(Span<Slot> slots) {
    Status st;
    for (size_t i = 0; i < slots.len; ++i) {
        for (size_t j = 0; j < i; ++j) {
            if (slots[j].slot_index == slots[i].slot_index) {
                st.code = Error::DuplicateSlotIndex;
                st.aux = slots[i].slot_index;
                set_where(st, "descriptor_table", static_cast<int64_t>(i));
                return st;
            }
            if (slots[j].role == slots[i].role && is_singleton(slots[i].role)) {
                st.code = Error::DuplicateSingletonRole;
                st.aux = static_cast<uint64_t>(slots[i].role);
                set_where(st, "descriptor_table", static_cast<int64_t>(i));
                return st;
            }
        }
    }
    return st;
}

bool check_table(const Plan& plan, int control_fd, int plan_fd, Refusal* ret) {
    Status dup = validate_table(plan.descriptor_table);
    if (!dup.ok()) {
        refuse(ret, RefusalReason::PlanInvalid, dup.code);
        ret->status = dup;
        return false;
    }
    for (size_t i = 0; i < plan.descriptor_table.len; ++i) {
        const Slot& s = plan.descriptor_table[i];
        Error e = Error::Ok;
        const char* needs = nullptr;
        if (s.slot_index > 2147483647u) {
            e = Error::SlotIndexTooLarge;
        } else if (control_fd != kFdUnknown && s.slot_index == static_cast<uint32_t>(control_fd)) {
            e = Error::SlotIsControlFd;
        } else if (plan_fd != kFdUnknown && s.slot_index == static_cast<uint32_t>(plan_fd)) {
            e = Error::SlotIsPlanFd;
        } else if ((needs = required_kinds(s.role, s.kind)) != nullptr) {
            e = Error::SlotKindMismatch;
        } else if (s.slot_index <= 2 && !is_stdio(s.role)) {
            e = Error::StdioFdNotStdioRole;
        }
        if (e != Error::Ok) {
            refuse(ret, RefusalReason::PlanInvalid, e);
            ret->status.aux = s.slot_index;
            ret->status.aux2 = static_cast<uint64_t>(s.role) << 8 | static_cast<uint64_t>(s.kind);
            ret->status.expected = needs;
            set_where(ret->status, "descriptor_table", static_cast<int64_t>(i));
            return false;
        }
    }
    return true;
}

bool check_primitives(const Plan& plan, Refusal* ret) {
    for (size_t i = 0; i < plan.lowering.len; ++i) {
        const LoweringEntry& e = plan.lowering[i];
        Primitive p;
        if (!primitive_of(e.id, e.phase_code, &p)) {
            refuse(ret, RefusalReason::MissingPrimitive, Error::UnknownPrimitive);
            ret->status.subject = e.id;
            ret->status.aux = e.phase_code;
            set_where(ret->status, "lowering.entries", static_cast<int64_t>(i));
            return false;
        }
    }
    if (summarize(plan.lowering).exec == 0)
        return refuse(ret, RefusalReason::MissingPrimitive, Error::NoExecEntry);
    return true;
}

bool check_scrub(const Plan& plan, Refusal* ret) {
    if (summarize(plan.lowering).scrub == 0)
        return refuse(ret, RefusalReason::PlanInvalid, Error::NoScrubEntry);
    return true;
}

bool check_seccomp_request(const Plan& plan, Refusal* ret) {
    if (summarize(plan.lowering).seccomp == 0) return true;
    const Target& t = plan.target;
    if (!t.seccomp.present)
        return refuse(ret, RefusalReason::MissingPrimitive, Error::SeccompWithoutRequest);
    if (!t.seccomp.value.deny_new_tasks && !t.seccomp.value.deny_inet_sockets)
        return refuse(ret, RefusalReason::MissingPrimitive, Error::SeccompDeniesNothing);
    return true;
}

bool check_confinement_pairing(const Plan& plan, Refusal* ret) {
    Schedule s = summarize(plan.lowering);
    if (plan.target.seccomp.present && s.seccomp == 0)
        return refuse(ret, RefusalReason::PlanInvalid, Error::SeccompRequestWithoutEntry);
    bool roots = false;
    for (const auto& slot : plan.descriptor_table)
        roots = roots || is_root(slot.role);
    if (roots && s.landlock == 0)
        return refuse(ret, RefusalReason::PlanInvalid, Error::RootsWithoutLandlock);
    if (!roots && s.landlock > 0)
        return refuse(ret, RefusalReason::PlanInvalid, Error::LandlockWithoutRoots);
    // Extensions: a relaxation or requirement of something the plan does not apply would
    // be a second encoding of the same plan.
    const Target& t = plan.target;
    if ((t.allow_abstract_unix || t.allow_signals) && s.landlock == 0)
        return refuse(ret, RefusalReason::PlanInvalid, Error::RelaxationWithoutLandlock);
    if (t.keep_capabilities && !s.hardened())
        return refuse(ret, RefusalReason::PlanInvalid, Error::CapabilitiesWithoutConfinement);
    if (t.landlock_min_abi && s.landlock == 0)
        return refuse(ret, RefusalReason::PlanInvalid, Error::LandlockMinAbiWithoutLandlock);
    // The network entry and its policy come together: the entry alone would mean nothing,
    // the policy alone would be ignored upstream.
    if (s.network > 0 && !t.network.present)
        return refuse(ret, RefusalReason::PlanInvalid, Error::NetworkWithoutPolicy);
    if (t.network.present && s.network == 0)
        return refuse(ret, RefusalReason::PlanInvalid, Error::NetworkPolicyWithoutEntry);
    return true;
}

bool check_target(const Plan& plan, Refusal* ret) {
    const Target& t = plan.target;
    if (t.argv.empty()) return refuse(ret, RefusalReason::PlanInvalid, Error::EmptyArgv);
    uint64_t strings = static_cast<uint64_t>(t.argv.len) + t.envp.len;
    if (strings > kMaxStrings) {
        refuse(ret, RefusalReason::PlanInvalid, Error::TooManyStrings);
        ret->status.aux = strings;
        return false;
    }
    for (size_t i = 0; i < t.argv.len; ++i) {
        Error e = t.argv[i].len > kMaxStringBytes ? Error::StringTooLong
                  : has_byte(t.argv[i], '\0')     ? Error::NulInArgv
                                                  : Error::Ok;
        if (e != Error::Ok) {
            refuse(ret, RefusalReason::PlanInvalid, e);
            ret->status.aux = t.argv[i].len;
            set_where(ret->status, "target.argv", static_cast<int64_t>(i));
            return false;
        }
    }
    for (size_t i = 0; i < t.envp.len; ++i) {
        const EnvPair& p = t.envp[i];
        uint32_t longest = p.name.len > p.value.len ? p.name.len : p.value.len;
        Error e = longest > kMaxStringBytes                           ? Error::StringTooLong
                  : has_byte(p.name, '\0') || has_byte(p.value, '\0') ? Error::NulInEnv
                  : p.name.len == 0 || has_byte(p.name, '=')          ? Error::BadEnvName
                                                                      : Error::Ok;
        if (e != Error::Ok) {
            refuse(ret, RefusalReason::PlanInvalid, e);
            ret->status.aux = longest;
            if (e == Error::BadEnvName) ret->status.subject = p.name;
            set_where(ret->status, "target.envp", static_cast<int64_t>(i));
            return false;
        }
    }
    if (t.network_namespace && !t.user_namespace)
        return refuse(ret, RefusalReason::PlanInvalid, Error::NetnsWithoutUserns);
    bool found = false;
    for (const auto& s : plan.descriptor_table)
        found = found || (s.role == Role::TargetExe && s.slot_index == t.exe_slot);
    if (!found) {
        refuse(ret, RefusalReason::PlanInvalid, Error::NoTargetExeSlot);
        ret->status.aux = t.exe_slot;
        return false;
    }
    return true;
}

bool check_plan(const Plan& plan, int control_fd, int plan_fd, Refusal* ret) {
    return check_table(plan, control_fd, plan_fd, ret) && check_primitives(plan, ret) &&
           check_scrub(plan, ret) && check_seccomp_request(plan, ret) &&
           check_confinement_pairing(plan, ret) && check_target(plan, ret);
}

bool verify_identity(Bytes frame, PlanStorage* storage, DecodedPlan* ret, RefusalReason* ret_reason,
                     TextBuf& ret_detail) {
    *ret_reason = RefusalReason::PlanInvalid;
    auto refuse = [&](const char* prefix, const Status& st) {
        ret_detail.append(prefix);
        format_status(st, ret_detail);
        return false;
    };
    if (frame.len > kMaxPlanBytes) {
        Status st;
        st.code = Error::PlanTooLarge;
        return refuse("plan: ", st);
    }
    Bytes body;
    Status st = open_frame(frame, &body);
    if (!st.ok()) return refuse("frame: ", st);
    st = decode_body(body, storage, ret);
    if (!st.ok()) return refuse("body: ", st);
    Digest bound = Blake3::hash(body.ptr + ret->lowering_offset, ret->lowering_len);
    if (!digest_eq(bound, ret->plan.h_l)) {
        *ret_reason = RefusalReason::IdentityMismatch;
        ret_detail.append("h_l ")
            .append_hex_bytes(ret->plan.h_l.bytes, kDigestBytes)
            .append(" does not bind the lowering (BLAKE3 ")
            .append_hex_bytes(bound.bytes, kDigestBytes)
            .append(")");
        return false;
    }
    return true;
}

} // namespace bvisor::codec
