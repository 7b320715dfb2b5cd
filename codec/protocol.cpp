// codec/protocol.cpp: names and pure rules (see protocol.h).
#include "protocol.h"

#include "plan.h"

namespace bvisor::codec {

namespace {

constexpr const char* kRoleNames[] = {"ReadRoot", "WriteRoot", "TargetExe", "CgroupDir",
                                      "Stdin",    "Stdout",    "Stderr",    "ControlChannel"};
constexpr const char* kKindNames[] = {"Directory", "Regular", "Socket", "Pipe", "CharDevice"};
constexpr const char* kStateNames[] = {"LauncherStarted",
                                       "IdentityVerified",
                                       "PlanVerified",
                                       "HandlesVerified",
                                       "ChildCreated",
                                       "IdentityPhaseResolved",
                                       "VisibilityPhaseResolved",
                                       "AmbientAuthorityPhaseResolved",
                                       "ConfinementPhaseResolved",
                                       "ReadyToExec",
                                       "ExecSucceeded",
                                       "SetupRefused",
                                       "SetupFaulted"};
constexpr const char* kRefusalNames[] = {"MissingPrimitive", "IdentityMismatch", "PlanInvalid",
                                         "HandleMismatch"};
constexpr const char* kPhaseResultNames[] = {"Applied", "NotRequired", "Refused", "Faulted"};
constexpr const char* kSetupPhaseNames[] = {"Identity", "Visibility", "AmbientAuthority",
                                            "Confinement"};
constexpr const char* kOutcomeNames[] = {"Completed", "Unsupported", "SupervisorFault"};

static_assert(sizeof kRoleNames / sizeof *kRoleNames == static_cast<size_t>(Role::Count));
static_assert(sizeof kKindNames / sizeof *kKindNames == static_cast<size_t>(Kind::Count));
static_assert(sizeof kStateNames / sizeof *kStateNames ==
              static_cast<size_t>(LauncherState::Count));
static_assert(sizeof kRefusalNames / sizeof *kRefusalNames ==
              static_cast<size_t>(RefusalReason::Count));
static_assert(sizeof kPhaseResultNames / sizeof *kPhaseResultNames ==
              static_cast<size_t>(PhaseResult::Count));
static_assert(sizeof kSetupPhaseNames / sizeof *kSetupPhaseNames ==
              static_cast<size_t>(SetupPhase::Count));
static_assert(sizeof kOutcomeNames / sizeof *kOutcomeNames ==
              static_cast<size_t>(OutcomeClass::Count));

template <class E, size_t N> const char* name_of(const char* const (&names)[N], E e) {
    auto i = static_cast<size_t>(e);
    return i < N ? names[i] : "?";
}

template <class E, size_t N> bool from_name(const char* const (&names)[N], Str name, E* ret) {
    for (size_t i = 0; i < N; ++i) {
        if (str_eq(name, names[i])) {
            *ret = static_cast<E>(i);
            return true;
        }
    }
    return false;
}

struct PrimitiveDef {
    const char* id;
    uint8_t phase_code;
};
constexpr PrimitiveDef kPrimitives[] = {{kIdScrub, kPhaseCodeScrub},
                                        {kIdLandlock, kPhaseCodeConfine},
                                        {kIdSeccomp, kPhaseCodeConfine},
                                        {kIdExec, kPhaseCodeExec},
                                        {kIdHardening, kPhaseCodeConfine}};
static_assert(sizeof kPrimitives / sizeof *kPrimitives == static_cast<size_t>(Primitive::Count));

} // namespace

const char* role_name(Role r) { return name_of(kRoleNames, r); }
const char* kind_name(Kind k) { return name_of(kKindNames, k); }
const char* state_name(LauncherState s) { return name_of(kStateNames, s); }
const char* refusal_name(RefusalReason r) { return name_of(kRefusalNames, r); }
const char* phase_result_name(PhaseResult r) { return name_of(kPhaseResultNames, r); }
const char* setup_phase_name(SetupPhase p) { return name_of(kSetupPhaseNames, p); }
const char* outcome_name(OutcomeClass o) { return name_of(kOutcomeNames, o); }

bool role_from_name(Str name, Role* ret) { return from_name(kRoleNames, name, ret); }
bool kind_from_name(Str name, Kind* ret) { return from_name(kKindNames, name, ret); }
bool state_from_name(Str name, LauncherState* ret) { return from_name(kStateNames, name, ret); }
bool refusal_from_name(Str name, RefusalReason* ret) { return from_name(kRefusalNames, name, ret); }

const char* primitive_id(Primitive p) { return kPrimitives[static_cast<size_t>(p)].id; }
uint8_t primitive_phase_code(Primitive p) { return kPrimitives[static_cast<size_t>(p)].phase_code; }

bool primitive_of(Str id, uint8_t phase_code, Primitive* ret) {
    for (size_t i = 0; i < sizeof kPrimitives / sizeof *kPrimitives; ++i) {
        if (kPrimitives[i].phase_code == phase_code && str_eq(id, kPrimitives[i].id)) {
            *ret = static_cast<Primitive>(i);
            return true;
        }
    }
    return false;
}

bool is_terminal(LauncherState s) {
    return s == LauncherState::ExecSucceeded || s == LauncherState::SetupRefused ||
           s == LauncherState::SetupFaulted;
}

bool is_valid_transition(LauncherState from, LauncherState to) {
    if (from >= LauncherState::Count || to >= LauncherState::Count) return false;
    if (is_terminal(from)) return false;
    if (to == LauncherState::SetupRefused || to == LauncherState::SetupFaulted) return true;
    if (to == LauncherState::ExecSucceeded) return from == LauncherState::ReadyToExec;
    return static_cast<int>(to) == static_cast<int>(from) + 1;
}

bool can_exec(LauncherState s) { return s == LauncherState::ReadyToExec; }

bool outcome_class(LauncherState terminal, OutcomeClass* ret) {
    switch (terminal) {
    case LauncherState::ExecSucceeded:
        *ret = OutcomeClass::Completed;
        return true;
    case LauncherState::SetupRefused:
        *ret = OutcomeClass::Unsupported;
        return true;
    case LauncherState::SetupFaulted:
        *ret = OutcomeClass::SupervisorFault;
        return true;
    default:
        return false;
    }
}

LauncherState resolved_state(SetupPhase p) {
    switch (p) {
    case SetupPhase::Identity:
        return LauncherState::IdentityPhaseResolved;
    case SetupPhase::Visibility:
        return LauncherState::VisibilityPhaseResolved;
    case SetupPhase::AmbientAuthority:
        return LauncherState::AmbientAuthorityPhaseResolved;
    default:
        return LauncherState::ConfinementPhaseResolved;
    }
}

bool lowering_entry_eq(const LoweringEntry& a, const LoweringEntry& b) {
    return str_eq(a.id, b.id) && a.version == b.version && a.phase_code == b.phase_code &&
           digest_eq(a.param_digest, b.param_digest) && digest_eq(a.decl_digest, b.decl_digest);
}

bool phase_resolution_consistent(Span<LoweringEntry> scheduled, Span<LoweringEntry> observed,
                                 PhaseResult result) {
    switch (result) {
    case PhaseResult::NotRequired:
        return scheduled.empty() && observed.empty();
    case PhaseResult::Applied:
        if (scheduled.empty() || scheduled.len != observed.len) return false;
        for (size_t i = 0; i < scheduled.len; ++i) {
            if (!lowering_entry_eq(scheduled[i], observed[i])) return false;
        }
        return true;
    case PhaseResult::Refused:
    case PhaseResult::Faulted:
        return true;
    default:
        return false;
    }
}

bool confinement_installed(size_t n_scheduled, PhaseResult result) {
    return n_scheduled > 0 && result == PhaseResult::Applied;
}

bool ready_to_exec(bool child_created, const PhaseResult phases[4], const Digest& observed,
                   const Digest& h_l) {
    if (!child_created || !digest_eq(observed, h_l)) return false;
    for (int i = 0; i < 4; ++i) {
        if (phases[i] == PhaseResult::Refused || phases[i] == PhaseResult::Faulted) return false;
    }
    return phases[static_cast<int>(SetupPhase::AmbientAuthority)] == PhaseResult::Applied;
}

} // namespace bvisor::codec
