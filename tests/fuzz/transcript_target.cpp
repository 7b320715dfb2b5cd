// tests/fuzz/transcript_target.cpp: see transcript_target.hpp.
//
// The oracle here is deliberately written apart from host/lib/transcript.cpp (its own
// line splitting, its own state-name lookup through codec::state_name, its own trim):
// a property that only re-ran the parser's code would agree with any bug in it.
#include "transcript_target.hpp"

#include "bvisor/transcript.hpp"

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bvisor::fuzz {

namespace {

using codec::LauncherState;

[[noreturn]] void property_failed() { std::abort(); }

void require(bool ok) {
    if (!ok) property_failed();
}

constexpr size_t kStateCount = static_cast<size_t>(LauncherState::Count);

bool begins(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

// The non-empty '\n'-separated lines of `text`, in order.
std::vector<std::string_view> nonempty_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '\n') {
            if (i > start) lines.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return lines;
}

std::optional<LauncherState> state_named(std::string_view line) {
    for (size_t i = 0; i < kStateCount; ++i) {
        auto s = static_cast<LauncherState>(i);
        if (line == codec::state_name(s)) return s;
    }
    return std::nullopt;
}

bool any_note(const std::vector<std::string>& notes, std::string_view prefix,
              std::string_view also = {}) {
    for (const auto& n : notes)
        if (begins(n, prefix) && std::string_view(n).find(also) != std::string_view::npos)
            return true;
    return false;
}

bool same_end(const std::optional<ProcessEnd>& a, const std::optional<ProcessEnd>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->exited == b->exited && a->code == b->code && a->signal == b->signal &&
                  a->core == b->core);
}

bool same_child(const std::optional<ChildFailure>& a, const std::optional<ChildFailure>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->err == b->err && a->step == b->step);
}

// Every field parse_transcript fills.
bool same(const Observation& a, const Observation& b) {
    return a.transcript == b.transcript && a.states == b.states && a.notes == b.notes &&
           a.unknown_lines == b.unknown_lines && a.terminal == b.terminal &&
           a.refusal == b.refusal && a.detail == b.detail && a.fault == b.fault &&
           a.confinement_installed == b.confinement_installed && a.child_pid == b.child_pid &&
           same_end(a.workload, b.workload) && same_child(a.child_failure, b.child_failure) &&
           a.landlock_abi == b.landlock_abi;
}

// Every non-empty line is classified exactly once, in order, as the format says.
void check_classification(std::string_view text, const Observation& o) {
    size_t si = 0, ni = 0, ui = 0;
    for (std::string_view line : nonempty_lines(text)) {
        if (begins(line, "# ")) {
            require(ni < o.notes.size() && o.notes[ni] == line.substr(2));
            ++ni;
        } else if (auto s = state_named(line)) {
            require(si < o.states.size() && o.states[si] == *s);
            ++si;
        } else {
            require(ui < o.unknown_lines.size() && o.unknown_lines[ui] == line);
            ++ui;
        }
    }
    require(si == o.states.size() && ni == o.notes.size() && ui == o.unknown_lines.size());
}

// `terminal` is the first terminal state line; outcome() and has_state() agree.
void check_terminal(const Observation& o) {
    std::optional<LauncherState> first;
    for (auto s : o.states) {
        if (codec::is_terminal(s)) {
            first = s;
            break;
        }
    }
    require(o.terminal == first);
    auto outcome = o.outcome();
    require(outcome.has_value() == first.has_value());
    if (first) {
        codec::OutcomeClass c;
        require(codec::outcome_class(*first, &c) && *outcome == c);
    }
    for (size_t i = 0; i < kStateCount; ++i) {
        auto s = static_cast<LauncherState>(i);
        bool seen = false;
        for (auto x : o.states)
            seen = seen || x == s;
        require(o.has_state(s) == seen);
    }
    for (const auto& n : o.notes)
        require(o.has_note(n));
    require(o.has_note("") == !o.notes.empty());
}

// A field is only ever set by a note that carries it (never by a state or unknown line).
void check_provenance(const Observation& o) {
    if (o.refusal)
        require(any_note(o.notes, std::string("refusal=") + codec::refusal_name(*o.refusal)));
    if (!o.detail.empty()) require(any_note(o.notes, std::string("detail=") + o.detail));
    if (!o.fault.empty()) require(any_note(o.notes, std::string("fault: ") + o.fault));
    if (o.confinement_installed)
        require(any_note(
            o.notes, "confinement=", *o.confinement_installed ? "installed=true" : "installed="));
    if (o.child_pid) require(any_note(o.notes, "mechanism=", "child_pid="));
    if (o.workload) {
        if (o.workload->exited) {
            require(o.workload->signal == 0 && !o.workload->core &&
                    any_note(o.notes, "workload exit="));
        } else {
            require(o.workload->code == -1 && any_note(o.notes, "workload signal="));
            if (o.workload->core) require(any_note(o.notes, "workload signal=", " core"));
        }
    }
    if (o.child_failure) {
        std::string step = "step=" + o.child_failure->step;
        require(o.child_failure->step.find(' ') == std::string::npos &&
                any_note(o.notes, "child errno=", step));
    }
    if (o.landlock_abi) require(any_note(o.notes, "landlock abi="));
}

bool trimmed_is(std::string_view line, std::string_view want) {
    size_t b = 0, e = line.size();
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (b < e && blank(line[b]))
        ++b;
    while (e > b && blank(line[e - 1]))
        --e;
    return line.substr(b, e - b) == want;
}

// transcript.hpp: true iff some line mentions ENOSYS and some line, trimmed, is
// exactly "SetupFaulted". None of the three markers holds a '\n', so "some line
// contains" is "the text contains".
void check_unavailable(std::string_view text, const Observation& o) {
    bool enosys = text.find("Function not implemented") != std::string_view::npos ||
                  text.find("os error 38") != std::string_view::npos ||
                  text.find("errno=38") != std::string_view::npos;
    bool faulted = false;
    for (std::string_view line : nonempty_lines(text))
        faulted = faulted || trimmed_is(line, "SetupFaulted");
    bool got = transcript_confinement_unavailable(text);
    require(got == (enosys && faulted));
    if (o.has_state(LauncherState::SetupFaulted)) require(faulted);
    require(transcript_confinement_unavailable(text) == got);
}

// Parsing splits at a line boundary: the lines of a + "\n" + b are a's then b's.
void check_split(std::string_view text, const Observation& o) {
    size_t at = text.find('\n', text.size() / 2);
    if (at == std::string_view::npos) at = text.rfind('\n');
    if (at == std::string_view::npos) return;
    Observation a = parse_transcript(text.substr(0, at));
    Observation b = parse_transcript(text.substr(at + 1));
    auto cat = [](auto x, const auto& y) {
        x.insert(x.end(), y.begin(), y.end());
        return x;
    };
    require(cat(a.states, b.states) == o.states);
    require(cat(a.notes, b.notes) == o.notes);
    require(cat(a.unknown_lines, b.unknown_lines) == o.unknown_lines);
    require(o.terminal == (a.terminal ? a.terminal : b.terminal));
}

} // namespace

void transcript_one(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Observation o = parse_transcript(text);
    require(o.transcript == text);
    require(same(o, parse_transcript(text))); // deterministic
    check_classification(text, o);
    check_terminal(o);
    check_provenance(o);
    check_unavailable(text, o);
    check_split(text, o);
    // The spawner's facts are not the parser's to fill.
    require(!o.launcher.exited && o.launcher.code == -1 && o.out.empty() && o.err.empty() &&
            !o.timed_out);
}

} // namespace bvisor::fuzz
