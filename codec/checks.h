// codec/checks.h: what a wire-valid plan must mean before anything is launched
// (PROTOCOL.md section 7, checks 3..8), shared by the launcher and
// `bvisor-plan verify` so both refuse the same plans with the same words.
//
// Pure: no fds are touched here (check 9 onwards are the launcher's). The control and
// plan fd numbers are inputs because check 3 compares slots against them; pass
// kFdUnknown when there are none (bvisor-plan verify).
#pragma once

#include "error.h"
#include "plan.h"
#include "protocol.h"

namespace bvisor::codec {

constexpr int kFdUnknown = -1;

struct Refusal {
    RefusalReason reason = RefusalReason::PlanInvalid;
    Status status;
};

// How many entries of each primitive the lowering schedules.
struct Schedule {
    uint32_t scrub = 0;
    uint32_t landlock = 0;
    uint32_t seccomp = 0;
    uint32_t exec = 0;
    uint32_t hardening = 0; // linux.hardening.require.v1 (extension)
    uint32_t network = 0;   // linux.network.restrict.v1 (extension)
    uint32_t confinement() const { return landlock + seccomp + hardening + network; }
    // The hardening defaults apply to every plan that confines; an unconfined plan keeps
    // upstream's behaviour (docs/PROTOCOL.md section 11.2).
    bool hardened() const { return confinement() > 0; }
};
Schedule summarize(Span<LoweringEntry> lowering);

// Confinement is NotRequired iff nothing confines, else Applied (PROTOCOL.md sections 5
// and 9: the confining entries, and the `# confinement=` note).
PhaseResult confinement_result(const Schedule& s);

// The table part of check 3: DuplicateSlotIndex{slot_index} or
// DuplicateSingletonRole{role} (aux), the first found in table order.
Status validate_table(Span<Slot> slots);

// Checks 1 and 2 (sections 4 and 7): the frame fits the cap and opens, the body decodes
// canonically, and h_l binds the exact bytes of its lowering. On success *ret holds the
// decoded plan (its strings point into `frame`). Otherwise *ret_detail gets the
// refusal's words, the same for the launcher and `bvisor-plan verify`.
class TextBuf;
bool verify_identity(Bytes frame, PlanStorage* storage, DecodedPlan* ret, RefusalReason* ret_reason,
                     TextBuf& ret_detail);

// Checks 3..8 in order. True when the plan passes; otherwise *ret says why.
bool check_plan(const Plan& plan, int control_fd, int plan_fd, Refusal* ret);

// Individual checks, in their order (each fills *ret on failure).
bool check_table(const Plan& plan, int control_fd, int plan_fd, Refusal* ret); // 3
bool check_primitives(const Plan& plan, Refusal* ret);                         // 4
bool check_scrub(const Plan& plan, Refusal* ret);                              // 5
bool check_seccomp_request(const Plan& plan, Refusal* ret);                    // 6
bool check_confinement_pairing(const Plan& plan, Refusal* ret);                // 7
bool check_target(const Plan& plan, Refusal* ret);                             // 8

} // namespace bvisor::codec
