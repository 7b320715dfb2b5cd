// The protocol's pure rules (codec/protocol.h, codec/checks.h), after upstream's
// launcher_protocol.rs: table validation (check 3 of PROTOCOL.md section 7), the
// terminal states and their outcomes, state names, confinement_installed and the
// lowering primitives (section 5).
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

TEST_CASE("the three terminals, and only they, are terminal", "[unit][protocol]") {
    for (S t : kTerminals)
        CHECK(is_terminal(t));
    for (S s : kForward)
        CHECK_FALSE(is_terminal(s));
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

TEST_CASE("confinement_installed", "[unit][protocol]") {
    CHECK_FALSE(confinement_installed(0, PhaseResult::Applied));
    CHECK_FALSE(confinement_installed(0, PhaseResult::NotRequired));
    CHECK(confinement_installed(1, PhaseResult::Applied));
    CHECK(confinement_installed(3, PhaseResult::Applied));
    CHECK_FALSE(confinement_installed(1, PhaseResult::NotRequired));
    CHECK_FALSE(confinement_installed(1, PhaseResult::Refused));
    CHECK_FALSE(confinement_installed(1, PhaseResult::Faulted));
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
