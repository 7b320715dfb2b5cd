// host/lib/transcript.cpp: see bvisor/transcript.hpp.
#include "bvisor/transcript.hpp"

#include <algorithm>
#include <charconv>

namespace bvisor {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

template <class T> std::optional<T> number(std::string_view s) {
    T v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// "key=value rest" -> value (up to the next space), for key at the start of `note`.
std::optional<std::string_view> field(std::string_view note, std::string_view key) {
    size_t at = note.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = note.substr(at + key.size());
    return rest.substr(0, rest.find(' '));
}

void parse_note(Observation& o, std::string_view n) {
    if (starts_with(n, "detail=")) {
        o.detail = std::string(n.substr(7));
    } else if (starts_with(n, "refusal=")) {
        RefusalReason r;
        std::string_view name = n.substr(8);
        if (codec::refusal_from_name(codec::Str{name.data(), static_cast<uint32_t>(name.size())},
                                     &r))
            o.refusal = r;
    } else if (starts_with(n, "fault: ")) {
        o.fault = std::string(n.substr(7));
    } else if (starts_with(n, "confinement=")) {
        if (auto v = field(n, "installed=")) o.confinement_installed = *v == "true";
    } else if (starts_with(n, "mechanism=")) {
        if (auto v = field(n, "child_pid=")) o.child_pid = number<long>(*v);
    } else if (starts_with(n, "workload exit=")) {
        if (auto v = number<int>(n.substr(14))) o.workload = ProcessEnd{true, *v, 0, false};
    } else if (starts_with(n, "workload signal=")) {
        std::string_view rest = n.substr(16);
        bool core = rest.size() > 5 && rest.substr(rest.size() - 5) == " core";
        if (core) rest.remove_suffix(5);
        if (auto v = number<int>(rest)) o.workload = ProcessEnd{false, -1, *v, core};
    } else if (starts_with(n, "child errno=")) {
        auto e = field(n, "errno=");
        auto s = field(n, "step=");
        if (e && s) {
            if (auto v = number<int>(*e)) o.child_failure = ChildFailure{*v, std::string(*s)};
        }
    } else if (starts_with(n, "landlock abi=")) {
        if (auto v = field(n, "abi=")) o.landlock_abi = number<int>(*v);
    } else if (starts_with(n, "child ended by signal=")) {
        if (auto v = field(n, "signal=")) o.child_signal = number<int>(*v);
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

template <class F> void for_each_line(std::string_view text, F fn) {
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        fn(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

} // namespace

Observation parse_transcript(std::string_view text) {
    Observation o;
    o.transcript = std::string(text);
    for_each_line(text, [&](std::string_view line) {
        if (line.empty()) return;
        if (starts_with(line, "# ")) {
            o.notes.emplace_back(line.substr(2));
            parse_note(o, line.substr(2));
            return;
        }
        LauncherState s;
        if (codec::state_from_name(codec::Str{line.data(), static_cast<uint32_t>(line.size())},
                                   &s)) {
            o.states.push_back(s);
            if (codec::is_terminal(s) && !o.terminal) o.terminal = s;
            return;
        }
        o.unknown_lines.emplace_back(line);
    });
    return o;
}

bool transcript_confinement_unavailable(std::string_view text) {
    bool enosys = false, faulted = false;
    for_each_line(text, [&](std::string_view line) {
        if (line.find("Function not implemented") != std::string_view::npos ||
            line.find("os error 38") != std::string_view::npos ||
            line.find("errno=38") != std::string_view::npos)
            enosys = true;
        if (trim(line) == "SetupFaulted") faulted = true;
    });
    return enosys && faulted;
}

bool Observation::has_state(LauncherState s) const {
    for (auto x : states)
        if (x == s) return true;
    return false;
}

bool Observation::has_note(std::string_view prefix) const {
    for (const auto& n : notes)
        if (starts_with(n, prefix)) return true;
    return false;
}

std::vector<std::pair<std::string, std::string>>
Observation::note_fields(std::string_view prefix) const {
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& n : notes) {
        if (!starts_with(n, prefix)) continue;
        std::string_view rest = std::string_view(n).substr(prefix.size());
        while (!rest.empty()) {
            std::string_view word = rest.substr(0, rest.find(' '));
            rest.remove_prefix(std::min(rest.size(), word.size() + 1));
            size_t eq = word.find('=');
            if (eq == std::string_view::npos || eq == 0) continue;
            fields.emplace_back(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
        }
    }
    return fields;
}

std::optional<codec::OutcomeClass> Observation::outcome() const {
    codec::OutcomeClass c;
    if (terminal && codec::outcome_class(*terminal, &c)) return c;
    return std::nullopt;
}

} // namespace bvisor
