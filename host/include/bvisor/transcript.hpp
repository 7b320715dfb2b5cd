// bvisor/transcript.hpp: what a launch said and did, parsed from its transcript
// (PROTOCOL.md section 9) plus the facts the spawner saw itself.
#pragma once

#include "plan.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bvisor {

struct ChildFailure {
    int err = 0;      // errno in the child, before exec
    std::string step; // userns_sync, signals, scrub, no_new_privs, landlock, seccomp, exec
};

struct ProcessEnd {
    bool exited = false; // false: killed by `signal`
    int code = -1;
    int signal = 0;
    bool core = false;
    long max_rss_kb = 0; // peak resident set of the process itself (wait4), when known
};

struct Observation {
    // --- from the transcript
    std::string transcript;
    std::vector<LauncherState> states;         // state lines, in order (terminal included)
    std::vector<std::string> notes;            // note lines without the "# "
    std::vector<std::string> unknown_lines;    // neither a state nor a note
    std::optional<LauncherState> terminal;     // the first terminal state line
    std::optional<RefusalReason> refusal;      // # refusal=
    std::string detail;                        // # detail=
    std::string fault;                         // # fault:
    std::optional<bool> confinement_installed; // # confinement=... installed=
    std::optional<long> child_pid;             // # mechanism=clone3 child_pid=
    std::optional<ProcessEnd> workload;        // # workload exit= / signal=
    std::optional<ChildFailure> child_failure; // # child errno= step=
    std::optional<int> landlock_abi;           // # landlock abi=
    std::optional<int> child_signal;           // # child ended by signal=N before exec

    // --- from the spawner
    ProcessEnd launcher;    // how the launcher process ended
    std::string out;        // the workload's stdout (when captured)
    std::string err;        // the workload's stderr (when captured)
    bool timed_out = false; // the spawner killed it

    bool has_state(LauncherState s) const;
    bool has_note(std::string_view prefix) const;
    // The `key=value` fields of every note that starts with `prefix` (e.g. "hardening "),
    // in order; a value runs to the next space.
    std::vector<std::pair<std::string, std::string>> note_fields(std::string_view prefix) const;
    std::optional<codec::OutcomeClass> outcome() const;
};

// Parses transcript text (the launcher/exit facts are left empty).
Observation parse_transcript(std::string_view text);

// True iff some line contains "Function not implemented", "os error 38" or
// "errno=38", and some line, trimmed, is exactly "SetupFaulted": the launch failed
// because the kernel lacks something (ENOSYS), so a test can skip instead of failing.
bool transcript_confinement_unavailable(std::string_view text);

} // namespace bvisor
