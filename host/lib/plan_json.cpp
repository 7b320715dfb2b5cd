// host/lib/plan_json.cpp: see bvisor/plan_json.hpp. Strict in what it reads: unknown,
// missing or duplicate keys, wrong types, out-of-range numbers and nulls are errors
// that name the field.
#include "bvisor/plan_json.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <vector>

namespace bvisor {

namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

std::string hex(const Digest& d) { return to_hex(d); }

ojson entry_json(const LoweringEntry& e) {
    ojson o;
    o["id"] = e.id;
    o["version"] = e.version;
    o["phase_code"] = e.phase_code;
    o["param_digest"] = hex(e.param_digest);
    o["decl_digest"] = hex(e.decl_digest);
    return o;
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw JsonError(where + ": " + what);
}

std::string type_of(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number_float()) return "a non-integer number";
    if (v.is_number_integer() && !v.is_number_unsigned()) return "a negative number";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    return "an object";
}

// Checks that `o` is an object with exactly the `required` keys plus any of `optional`.
void expect_keys(const json& o, const std::string& where,
                 std::initializer_list<const char*> required,
                 std::initializer_list<const char*> optional = {}) {
    if (!o.is_object()) bad(where, "expected an object, found " + type_of(o));
    std::set<std::string> known;
    for (auto k : required)
        known.insert(k);
    for (auto k : optional)
        known.insert(k);
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!known.count(it.key())) bad(where, "unknown key \"" + it.key() + "\"");
    }
    for (auto k : required) {
        if (!o.contains(k)) bad(where, std::string("missing key \"") + k + "\"");
    }
}

std::string join(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
}

uint64_t get_uint(const json& v, const std::string& where, uint64_t max) {
    if (!v.is_number_unsigned()) bad(where, "expected an unsigned integer, found " + type_of(v));
    uint64_t x = v.get<uint64_t>();
    if (x > max)
        bad(where, std::to_string(x) + " is out of range (max " + std::to_string(max) + ")");
    return x;
}

bool get_bool(const json& v, const std::string& where) {
    if (!v.is_boolean()) bad(where, "expected true or false, found " + type_of(v));
    return v.get<bool>();
}

std::string get_string(const json& v, const std::string& where) {
    if (!v.is_string()) bad(where, "expected a string, found " + type_of(v));
    return v.get<std::string>();
}

Digest get_digest(const json& v, const std::string& where) {
    std::string s = get_string(v, where);
    auto d = digest_from_hex(s);
    if (!d) bad(where, "expected 64 lowercase hex digits, found \"" + s + "\"");
    return *d;
}

template <class E>
E get_enum(const json& v, const std::string& where, bool (*from_name)(codec::Str, E*),
           const char* what) {
    std::string s = get_string(v, where);
    E out;
    if (!from_name(codec::Str{s.data(), static_cast<uint32_t>(s.size())}, &out))
        bad(where, "\"" + s + "\" is not a " + what);
    return out;
}

const json& get_array(const json& v, const std::string& where) {
    if (!v.is_array()) bad(where, "expected an array, found " + type_of(v));
    return v;
}

// Rejects duplicate keys, which nlohmann would otherwise silently merge.
json parse_strict(std::string_view text) {
    std::vector<std::set<std::string>> keys;
    std::string dup;
    auto cb = [&](int, json::parse_event_t ev, json& parsed) {
        if (ev == json::parse_event_t::object_start) keys.emplace_back();
        if (ev == json::parse_event_t::object_end) keys.pop_back();
        if (ev == json::parse_event_t::key && !keys.empty()) {
            auto k = parsed.get<std::string>();
            if (!keys.back().insert(k).second && dup.empty()) dup = k;
        }
        return true;
    };
    json j;
    try {
        j = json::parse(text.begin(), text.end(), cb);
    } catch (const json::parse_error& e) {
        throw JsonError(std::string("invalid JSON: ") + e.what());
    }
    if (!dup.empty()) throw JsonError("duplicate key \"" + dup + "\"");
    return j;
}

} // namespace

std::string to_json(const LaunchBody& b) {
    ojson o;
    o["attempt_id"] = hex(b.attempt_id);
    o["plan_id"] = hex(b.plan_id);
    o["h_a"] = hex(b.h_a);
    o["h_p"] = hex(b.h_p);
    o["h_l"] = hex(b.h_l);
    ojson entries = ojson::array();
    for (const auto& e : b.lowering)
        entries.push_back(entry_json(e));
    o["lowering"] = ojson{{"entries", entries}};
    ojson table = ojson::array();
    for (const auto& s : b.descriptor_table) {
        ojson slot;
        slot["slot_index"] = s.slot_index;
        slot["role"] = codec::role_name(s.role);
        slot["expected"] = ojson{{"kind", codec::kind_name(s.kind)}, {"writable", s.writable}};
        table.push_back(slot);
    }
    o["descriptor_table"] = table;
    ojson t;
    t["argv"] = b.target.argv;
    ojson envp = ojson::array();
    for (const auto& [n, v] : b.target.envp)
        envp.push_back(ojson::array({n, v}));
    t["envp"] = envp;
    t["exe_slot"] = b.target.exe_slot;
    if (b.target.user_namespace) t["user_namespace"] = ojson::object();
    if (b.target.network_namespace) t["network_namespace"] = ojson::object();
    if (b.target.seccomp) {
        ojson s;
        s["deny_new_tasks"] = b.target.seccomp->deny_new_tasks;
        s["deny_inet_sockets"] = b.target.seccomp->deny_inet_sockets;
        t["seccomp"] = s;
    }
    if (b.target.keep_capabilities) {
        ojson caps = ojson::array();
        for (unsigned cap = 0; cap <= codec::kMaxCapability; ++cap)
            if (b.target.keep_capabilities & (uint64_t{1} << cap)) caps.push_back(cap);
        t["keep_capabilities"] = caps;
    }
    if (b.target.allow_abstract_unix) t["allow_abstract_unix"] = ojson::object();
    if (b.target.allow_signals) t["allow_signals"] = ojson::object();
    if (b.target.landlock_min_abi) t["landlock_min_abi"] = b.target.landlock_min_abi;
    o["target"] = t;
    return o.dump(-1, ' ', false, ojson::error_handler_t::strict);
}

LaunchBody from_json(std::string_view text, bool require_h_l) {
    json j = parse_strict(text);
    if (require_h_l) {
        expect_keys(j, "body",
                    {"attempt_id", "plan_id", "h_a", "h_p", "h_l", "lowering", "descriptor_table",
                     "target"});
    } else {
        expect_keys(
            j, "body",
            {"attempt_id", "plan_id", "h_a", "h_p", "lowering", "descriptor_table", "target"},
            {"h_l"});
    }
    LaunchBody b;
    b.attempt_id = get_digest(j["attempt_id"], "attempt_id");
    b.plan_id = get_digest(j["plan_id"], "plan_id");
    b.h_a = get_digest(j["h_a"], "h_a");
    b.h_p = get_digest(j["h_p"], "h_p");
    if (j.contains("h_l")) b.h_l = get_digest(j["h_l"], "h_l");

    const json& lowering = j["lowering"];
    expect_keys(lowering, "lowering", {"entries"});
    const json& entries = get_array(lowering["entries"], "lowering.entries");
    for (size_t i = 0; i < entries.size(); ++i) {
        std::string w = "lowering.entries[" + std::to_string(i) + "]";
        const json& e = entries[i];
        expect_keys(e, w, {"id", "version", "phase_code", "param_digest", "decl_digest"});
        LoweringEntry out;
        out.id = get_string(e["id"], join(w, "id"));
        out.version =
            static_cast<uint32_t>(get_uint(e["version"], join(w, "version"), 0xffffffffULL));
        out.phase_code =
            static_cast<uint8_t>(get_uint(e["phase_code"], join(w, "phase_code"), 0xff));
        out.param_digest = get_digest(e["param_digest"], join(w, "param_digest"));
        out.decl_digest = get_digest(e["decl_digest"], join(w, "decl_digest"));
        b.lowering.push_back(out);
    }

    const json& table = get_array(j["descriptor_table"], "descriptor_table");
    for (size_t i = 0; i < table.size(); ++i) {
        std::string w = "descriptor_table[" + std::to_string(i) + "]";
        const json& s = table[i];
        expect_keys(s, w, {"slot_index", "role", "expected"});
        DescriptorSlot out;
        out.slot_index =
            static_cast<uint32_t>(get_uint(s["slot_index"], join(w, "slot_index"), 0xffffffffULL));
        out.role = get_enum(s["role"], join(w, "role"), codec::role_from_name, "DescriptorRole");
        const json& ex = s["expected"];
        expect_keys(ex, join(w, "expected"), {"kind", "writable"});
        out.kind =
            get_enum(ex["kind"], join(w, "expected.kind"), codec::kind_from_name, "DescriptorKind");
        out.writable = get_bool(ex["writable"], join(w, "expected.writable"));
        b.descriptor_table.push_back(out);
    }

    const json& t = j["target"];
    expect_keys(t, "target", {"argv", "envp", "exe_slot"},
                {"user_namespace", "network_namespace", "seccomp", "keep_capabilities",
                 "allow_abstract_unix", "allow_signals", "landlock_min_abi"});
    const json& argv = get_array(t["argv"], "target.argv");
    for (size_t i = 0; i < argv.size(); ++i)
        b.target.argv.push_back(get_string(argv[i], "target.argv[" + std::to_string(i) + "]"));
    const json& envp = get_array(t["envp"], "target.envp");
    for (size_t i = 0; i < envp.size(); ++i) {
        std::string w = "target.envp[" + std::to_string(i) + "]";
        const json& pair = get_array(envp[i], w);
        if (pair.size() != 2)
            bad(w, "expected [name, value], found " + std::to_string(pair.size()) + " elements");
        b.target.envp.emplace_back(get_string(pair[0], w + "[0]"), get_string(pair[1], w + "[1]"));
    }
    b.target.exe_slot =
        static_cast<uint32_t>(get_uint(t["exe_slot"], "target.exe_slot", 0xffffffffULL));
    if (t.contains("user_namespace")) {
        expect_keys(t["user_namespace"], "target.user_namespace", {});
        b.target.user_namespace = true;
    }
    if (t.contains("network_namespace")) {
        expect_keys(t["network_namespace"], "target.network_namespace", {});
        b.target.network_namespace = true;
    }
    if (t.contains("seccomp")) {
        const json& s = t["seccomp"];
        expect_keys(s, "target.seccomp", {"deny_new_tasks", "deny_inet_sockets"});
        b.target.seccomp =
            SeccompRequest{get_bool(s["deny_new_tasks"], "target.seccomp.deny_new_tasks"),
                           get_bool(s["deny_inet_sockets"], "target.seccomp.deny_inet_sockets")};
    }
    // The extensions, with the wire's canonical rules (docs/PROTOCOL.md section 11).
    if (t.contains("keep_capabilities")) {
        const json& caps = get_array(t["keep_capabilities"], "target.keep_capabilities");
        if (caps.empty()) bad("target.keep_capabilities", "empty (omit the key instead)");
        long last = -1;
        for (size_t i = 0; i < caps.size(); ++i) {
            std::string w = "target.keep_capabilities[" + std::to_string(i) + "]";
            auto cap = static_cast<long>(get_uint(caps[i], w, codec::kMaxCapability));
            if (cap <= last) bad(w, "capability numbers must be strictly ascending");
            last = cap;
            b.target.keep_capabilities |= uint64_t{1} << cap;
        }
    }
    if (t.contains("allow_abstract_unix")) {
        expect_keys(t["allow_abstract_unix"], "target.allow_abstract_unix", {});
        b.target.allow_abstract_unix = true;
    }
    if (t.contains("allow_signals")) {
        expect_keys(t["allow_signals"], "target.allow_signals", {});
        b.target.allow_signals = true;
    }
    if (t.contains("landlock_min_abi")) {
        auto abi = get_uint(t["landlock_min_abi"], "target.landlock_min_abi", 0xff);
        if (abi < 2) bad("target.landlock_min_abi", "must be 2 or more (omit the key instead)");
        b.target.landlock_min_abi = static_cast<uint8_t>(abi);
    }
    if (!require_h_l) b.bind_lowering();
    return b;
}

} // namespace bvisor
