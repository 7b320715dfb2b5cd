// The protocol's pure rules (PROTOCOL.md Appendix A), ported from the upstream
// protocol test list (UPSTREAM-TESTS.md, launcher_protocol.rs): table validation,
// the state machine, phase honesty, confinement_installed and ready_to_exec.
#include "bvisor/plan.hpp"

#include <catch2/catch_test_macros.hpp>

#include <vector>

using namespace bvisor;
using namespace bvisor::codec;
using S = LauncherState;

namespace {

const std::vector<S> kForward = {S::LauncherStarted,
                                 S::IdentityVerified,
                                 S::PlanVerified,
                                 S::HandlesVerified,
                                 S::ChildCreated,
                                 S::IdentityPhaseResolved,
                                 S::VisibilityPhaseResolved,
                                 S::AmbientAuthorityPhaseResolved,
                                 S::ConfinementPhaseResolved,
                                 S::ReadyToExec};
const std::vector<S> kTerminals = {S::ExecSucceeded, S::SetupRefused, S::SetupFaulted};

std::vector<S> all_states() {
    std::vector<S> v = kForward;
    v.insert(v.end(), kTerminals.begin(), kTerminals.end());
    return v;
}

Slot slot(uint32_t i, Role r, Kind k = Kind::Directory) { return Slot{i, r, k, false}; }

Status validate(const std::vector<Slot>& t) { return validate_table({t.data(), t.size()}); }

// A sample table (upstream's shape): exe, two roots, stdio.
std::vector<Slot> sample_table() {
    return {slot(3, Role::TargetExe, Kind::Regular),
            slot(4, Role::ReadRoot),
            slot(5, Role::WriteRoot),
            slot(0, Role::Stdin, Kind::Pipe),
            slot(1, Role::Stdout, Kind::Pipe),
            slot(2, Role::Stderr, Kind::Pipe)};
}

codec::LoweringEntry entry(const char* id, uint32_t version = 1, uint8_t code = 4,
                           uint8_t digest = 0) {
    codec::LoweringEntry e;
    e.id = str_of(id);
    e.version = version;
    e.phase_code = code;
    for (auto& b : e.param_digest.bytes)
        b = digest;
    return e;
}

Span<codec::LoweringEntry> span(const std::vector<codec::LoweringEntry>& v) {
    return {v.data(), v.size()};
}

} // namespace

TEST_CASE("the sample table is accepted", "[unit][protocol]") {
    CHECK(validate(sample_table()).ok());
}

TEST_CASE("a duplicate slot index 0 is DuplicateSlotIndex{0}", "[unit][protocol]") {
    auto t = sample_table();
    t.push_back(slot(0, Role::ReadRoot));
    auto st = validate(t);
    CHECK(st.code == Error::DuplicateSlotIndex);
    CHECK(st.aux == 0);
}

TEST_CASE("a second Stdout is DuplicateSingletonRole{Stdout}", "[unit][protocol]") {
    auto t = sample_table();
    t.push_back(slot(9, Role::Stdout, Kind::Pipe));
    auto st = validate(t);
    CHECK(st.code == Error::DuplicateSingletonRole);
    CHECK(static_cast<Role>(st.aux) == Role::Stdout);
}

TEST_CASE("a second ReadRoot (slot 9) is accepted", "[unit][protocol]") {
    auto t = sample_table();
    t.push_back(slot(9, Role::ReadRoot));
    CHECK(validate(t).ok());
}

TEST_CASE("every forward step of the progression is legal", "[unit][protocol]") {
    for (size_t i = 0; i + 1 < kForward.size(); ++i)
        CHECK(is_valid_transition(kForward[i], kForward[i + 1]));
}

TEST_CASE("ReadyToExec -> ExecSucceeded is legal", "[unit][protocol]") {
    CHECK(is_valid_transition(S::ReadyToExec, S::ExecSucceeded));
}

TEST_CASE("refuse or fault is reachable from every non-terminal", "[unit][protocol]") {
    for (S s : kForward) {
        CHECK(is_valid_transition(s, S::SetupRefused));
        CHECK(is_valid_transition(s, S::SetupFaulted));
    }
}

TEST_CASE("LauncherStarted -> ReadyToExec (a skip) is illegal", "[unit][protocol]") {
    CHECK_FALSE(is_valid_transition(S::LauncherStarted, S::ReadyToExec));
    CHECK_FALSE(is_valid_transition(S::IdentityVerified, S::HandlesVerified));
}

TEST_CASE("going backward is illegal", "[unit][protocol]") {
    for (size_t i = 1; i < kForward.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            CHECK_FALSE(is_valid_transition(kForward[i], kForward[j]));
}

TEST_CASE("ConfinementPhaseResolved -> ExecSucceeded is illegal", "[unit][protocol]") {
    CHECK_FALSE(is_valid_transition(S::ConfinementPhaseResolved, S::ExecSucceeded));
    for (S s : kForward)
        if (s != S::ReadyToExec) CHECK_FALSE(is_valid_transition(s, S::ExecSucceeded));
}

TEST_CASE("terminals are absorbing with no self-loop", "[unit][protocol]") {
    for (S t : kTerminals) {
        CHECK(is_terminal(t));
        for (S s : all_states())
            CHECK_FALSE(is_valid_transition(t, s));
    }
    for (S s : kForward) {
        CHECK_FALSE(is_terminal(s));
        CHECK_FALSE(is_valid_transition(s, s));
    }
}

TEST_CASE("can_exec is true only in ReadyToExec", "[unit][protocol]") {
    for (S s : all_states())
        CHECK(can_exec(s) == (s == S::ReadyToExec));
}

TEST_CASE("the outcome mapping", "[unit][protocol]") {
    OutcomeClass o;
    REQUIRE(outcome_class(S::ExecSucceeded, &o));
    CHECK(o == OutcomeClass::Completed);
    REQUIRE(outcome_class(S::SetupRefused, &o));
    CHECK(o == OutcomeClass::Unsupported);
    REQUIRE(outcome_class(S::SetupFaulted, &o));
    CHECK(o == OutcomeClass::SupervisorFault);
    for (S s : kForward)
        CHECK_FALSE(outcome_class(s, &o));
}

TEST_CASE("SetupPhase -> resolved state", "[unit][protocol]") {
    CHECK(resolved_state(SetupPhase::Identity) == S::IdentityPhaseResolved);
    CHECK(resolved_state(SetupPhase::Visibility) == S::VisibilityPhaseResolved);
    CHECK(resolved_state(SetupPhase::AmbientAuthority) == S::AmbientAuthorityPhaseResolved);
    CHECK(resolved_state(SetupPhase::Confinement) == S::ConfinementPhaseResolved);
}

TEST_CASE("state names round-trip and match the transcript spelling", "[unit][protocol]") {
    for (S s : all_states()) {
        S back;
        REQUIRE(state_from_name(str_of(state_name(s)), &back));
        CHECK(back == s);
    }
    S x;
    CHECK_FALSE(state_from_name(str_of("execsucceeded"), &x));
    CHECK(std::string(state_name(S::AmbientAuthorityPhaseResolved)) ==
          "AmbientAuthorityPhaseResolved");
}

TEST_CASE("phase honesty: NotRequired is consistent only when both are empty", "[unit][protocol]") {
    std::vector<codec::LoweringEntry> none, one = {entry(kIdLandlock)};
    CHECK(phase_resolution_consistent(span(none), span(none), PhaseResult::NotRequired));
    CHECK_FALSE(phase_resolution_consistent(span(none), span(one), PhaseResult::NotRequired));
    CHECK_FALSE(phase_resolution_consistent(span(one), span(none), PhaseResult::NotRequired));
    CHECK_FALSE(phase_resolution_consistent(span(one), span(one), PhaseResult::NotRequired));
}

TEST_CASE("phase honesty: Applied needs an exact, ordered match", "[unit][protocol]") {
    std::vector<codec::LoweringEntry> sched = {entry(kIdLandlock), entry(kIdSeccomp)};
    CHECK(phase_resolution_consistent(span(sched), span(sched), PhaseResult::Applied));
    std::vector<codec::LoweringEntry> none;
    CHECK_FALSE(phase_resolution_consistent(span(none), span(none), PhaseResult::Applied));
    CHECK_FALSE(phase_resolution_consistent(span(sched), span(none), PhaseResult::Applied));
    std::vector<codec::LoweringEntry> fewer = {entry(kIdLandlock)};
    CHECK_FALSE(phase_resolution_consistent(span(sched), span(fewer), PhaseResult::Applied));
    std::vector<codec::LoweringEntry> other_id = {entry(kIdLandlock), entry(kIdScrub)};
    CHECK_FALSE(phase_resolution_consistent(span(sched), span(other_id), PhaseResult::Applied));
    std::vector<codec::LoweringEntry> other_version = {entry(kIdLandlock), entry(kIdSeccomp, 2)};
    CHECK_FALSE(
        phase_resolution_consistent(span(sched), span(other_version), PhaseResult::Applied));
    std::vector<codec::LoweringEntry> other_digest = {entry(kIdLandlock),
                                                      entry(kIdSeccomp, 1, 4, 9)};
    CHECK_FALSE(phase_resolution_consistent(span(sched), span(other_digest), PhaseResult::Applied));
    std::vector<codec::LoweringEntry> reordered = {entry(kIdSeccomp), entry(kIdLandlock)};
    CHECK_FALSE(phase_resolution_consistent(span(sched), span(reordered), PhaseResult::Applied));
}

TEST_CASE("phase honesty: Refused and Faulted are always consistent", "[unit][protocol]") {
    std::vector<codec::LoweringEntry> none, one = {entry(kIdLandlock)};
    for (auto r : {PhaseResult::Refused, PhaseResult::Faulted}) {
        CHECK(phase_resolution_consistent(span(none), span(none), r));
        CHECK(phase_resolution_consistent(span(one), span(none), r));
        CHECK(phase_resolution_consistent(span(none), span(one), r));
    }
}

TEST_CASE("confinement_installed", "[unit][protocol]") {
    CHECK_FALSE(confinement_installed(0, PhaseResult::Applied));
    CHECK_FALSE(confinement_installed(0, PhaseResult::NotRequired));
    CHECK(confinement_installed(1, PhaseResult::Applied));
    CHECK(confinement_installed(3, PhaseResult::Applied));
    CHECK_FALSE(confinement_installed(1, PhaseResult::NotRequired));
    CHECK_FALSE(confinement_installed(1, PhaseResult::Refused));
    CHECK_FALSE(confinement_installed(1, PhaseResult::Faulted));
}

TEST_CASE("ready_to_exec", "[unit][protocol]") {
    codec::Digest h;
    for (auto& b : h.bytes)
        b = 5;
    const PhaseResult happy[4] = {PhaseResult::NotRequired, PhaseResult::NotRequired,
                                  PhaseResult::Applied, PhaseResult::Applied};
    CHECK(ready_to_exec(true, happy, h, h));
    CHECK_FALSE(ready_to_exec(false, happy, h, h));
    const PhaseResult refused[4] = {PhaseResult::NotRequired, PhaseResult::Refused,
                                    PhaseResult::Applied, PhaseResult::Applied};
    CHECK_FALSE(ready_to_exec(true, refused, h, h));
    const PhaseResult faulted[4] = {PhaseResult::NotRequired, PhaseResult::NotRequired,
                                    PhaseResult::Applied, PhaseResult::Faulted};
    CHECK_FALSE(ready_to_exec(true, faulted, h, h));
    const PhaseResult no_ambient[4] = {PhaseResult::NotRequired, PhaseResult::NotRequired,
                                       PhaseResult::NotRequired, PhaseResult::Applied};
    CHECK_FALSE(ready_to_exec(true, no_ambient, h, h));
    codec::Digest drift = h;
    drift.bytes[31] ^= 1;
    CHECK_FALSE(ready_to_exec(true, happy, drift, h));
}

TEST_CASE("the four primitives and their phase codes", "[unit][protocol]") {
    Primitive p;
    REQUIRE(primitive_of(str_of("linux.ambient.scrub.v1"), 3, &p));
    CHECK(p == Primitive::Scrub);
    REQUIRE(primitive_of(str_of("linux.landlock.apply.v1"), 4, &p));
    CHECK(p == Primitive::Landlock);
    REQUIRE(primitive_of(str_of("linux.seccomp.apply.v1"), 4, &p));
    CHECK(p == Primitive::Seccomp);
    REQUIRE(primitive_of(str_of("linux.exec.v1"), 5, &p));
    CHECK(p == Primitive::Exec);
    CHECK_FALSE(primitive_of(str_of("linux.exec.v1"), 4, &p));
    CHECK_FALSE(primitive_of(str_of("linux.landlock.v1"), 4, &p));
    CHECK_FALSE(primitive_of(str_of(""), 0, &p));
}
