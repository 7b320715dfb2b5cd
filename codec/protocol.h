// codec/protocol.h: the protocol's vocabulary (PROTOCOL.md sections 3, 5 and 9).
//
// Enums with their wire/transcript names, which states end a launch and what each end
// means, confinement-installed, and the lowering primitives. Pure functions only: no
// I/O. The launcher and the host both use these, so the two sides can never disagree
// about a name or a rule.
#pragma once

#include "base.h"

namespace bvisor::codec {

enum class Role : uint8_t {
    ReadRoot,
    WriteRoot,
    TargetExe,
    CgroupDir,
    Stdin,
    Stdout,
    Stderr,
    ControlChannel,
    Count
};

// CharDevice is a bvisor extension (docs/PROTOCOL.md section 11.1): upstream cannot decode
// it, so a plan that declares one is refused there, never widened.
enum class Kind : uint8_t { Directory, Regular, Socket, Pipe, CharDevice, Count };

enum class LauncherState : uint8_t {
    LauncherStarted,
    IdentityVerified,
    PlanVerified,
    HandlesVerified,
    ChildCreated,
    IdentityPhaseResolved,
    VisibilityPhaseResolved,
    AmbientAuthorityPhaseResolved,
    ConfinementPhaseResolved,
    ReadyToExec,
    ExecSucceeded, // terminal
    SetupRefused,  // terminal
    SetupFaulted,  // terminal
    Count
};

enum class RefusalReason : uint8_t {
    MissingPrimitive,
    IdentityMismatch,
    PlanInvalid,
    HandleMismatch,
    Count
};

enum class PhaseResult : uint8_t { Applied, NotRequired, Refused, Faulted, Count };

enum class OutcomeClass : uint8_t { Completed, Unsupported, SupervisorFault, Count };

// Hardening is a bvisor extension (docs/PROTOCOL.md section 11.2): the hardening defaults
// are required in full. Upstream refuses the unknown entry (check 4).
// Network is one too (section 11.4): the network policy of target.network, which upstream
// would ignore (it skips unknown keys) and so must refuse, by the entry.
enum class Primitive : uint8_t { Scrub, Landlock, Seccomp, Exec, Hardening, Network, Count };

// Names as they appear on the wire and in the transcript.
const char* role_name(Role r);
const char* kind_name(Kind k);
const char* state_name(LauncherState s);
const char* refusal_name(RefusalReason r);
const char* phase_result_name(PhaseResult r);

// Name -> value; false when `name` is no variant (exact, case-sensitive match).
bool role_from_name(Str name, Role* ret);
bool kind_from_name(Str name, Kind* ret);
bool state_from_name(Str name, LauncherState* ret);
bool refusal_from_name(Str name, RefusalReason* ret);

// --- lowering primitives (PROTOCOL.md sections 5 and 11)
constexpr const char* kIdScrub = "linux.ambient.scrub.v1";
constexpr const char* kIdLandlock = "linux.landlock.apply.v1";
constexpr const char* kIdSeccomp = "linux.seccomp.apply.v1";
constexpr const char* kIdExec = "linux.exec.v1";
constexpr const char* kIdHardening = "linux.hardening.require.v1";
constexpr const char* kIdNetwork = "linux.network.restrict.v1";
constexpr uint8_t kPhaseCodeScrub = 3;
constexpr uint8_t kPhaseCodeConfine = 4;
constexpr uint8_t kPhaseCodeExec = 5;

const char* primitive_id(Primitive p);
uint8_t primitive_phase_code(Primitive p);
// The primitive an (id, phase_code) pair names; false for anything else.
bool primitive_of(Str id, uint8_t phase_code, Primitive* ret);

// --- how a launch ends
// ExecSucceeded, SetupRefused and SetupFaulted: the states that end a launch
// (PROTOCOL.md section 9).
bool is_terminal(LauncherState s);
// The outcome a terminal means; false for a non-terminal.
bool outcome_class(LauncherState terminal, OutcomeClass* ret);
// What `# confinement=... installed=` says: something was scheduled and it was applied.
bool confinement_installed(size_t n_scheduled, PhaseResult result);

} // namespace bvisor::codec
