// codec/protocol.cpp: names and pure rules (see protocol.h).
#include "protocol.h"

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

static_assert(sizeof kRoleNames / sizeof *kRoleNames == static_cast<size_t>(Role::Count));
static_assert(sizeof kKindNames / sizeof *kKindNames == static_cast<size_t>(Kind::Count));
static_assert(sizeof kStateNames / sizeof *kStateNames ==
              static_cast<size_t>(LauncherState::Count));
static_assert(sizeof kRefusalNames / sizeof *kRefusalNames ==
              static_cast<size_t>(RefusalReason::Count));
static_assert(sizeof kPhaseResultNames / sizeof *kPhaseResultNames ==
              static_cast<size_t>(PhaseResult::Count));

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
constexpr PrimitiveDef kPrimitives[] = {
    {kIdScrub, kPhaseCodeScrub},       {kIdLandlock, kPhaseCodeConfine},
    {kIdSeccomp, kPhaseCodeConfine},   {kIdExec, kPhaseCodeExec},
    {kIdHardening, kPhaseCodeConfine}, {kIdNetwork, kPhaseCodeConfine}};
static_assert(sizeof kPrimitives / sizeof *kPrimitives == static_cast<size_t>(Primitive::Count));

} // namespace

const char* role_name(Role r) { return name_of(kRoleNames, r); }
const char* kind_name(Kind k) { return name_of(kKindNames, k); }
const char* state_name(LauncherState s) { return name_of(kStateNames, s); }
const char* refusal_name(RefusalReason r) { return name_of(kRefusalNames, r); }
const char* phase_result_name(PhaseResult r) { return name_of(kPhaseResultNames, r); }

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
    case LauncherState::LauncherStarted:
    case LauncherState::IdentityVerified:
    case LauncherState::PlanVerified:
    case LauncherState::HandlesVerified:
    case LauncherState::ChildCreated:
    case LauncherState::IdentityPhaseResolved:
    case LauncherState::VisibilityPhaseResolved:
    case LauncherState::AmbientAuthorityPhaseResolved:
    case LauncherState::ConfinementPhaseResolved:
    case LauncherState::ReadyToExec:
    case LauncherState::Count:
        return false;
    }
    return false; // not a LauncherState at all
}

bool confinement_installed(size_t n_scheduled, PhaseResult result) {
    return n_scheduled > 0 && result == PhaseResult::Applied;
}

} // namespace bvisor::codec
