// host/lib/plan_json.cpp: see bvisor/plan_json.hpp. Strict in what it reads: unknown,
// missing or duplicate keys, wrong types, out-of-range numbers and nulls are errors
// that name the field.
#include "bvisor/plan_json.hpp"

#include "codec/msgpack.h"
#include "codec/text.h"

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

// ------------------------------------------------------------------ the target
//
// The target's JSON is generated from its schema list (BVISOR_TARGET_FIELDS). Output
// converts each present field's host value. Input checks only what is JSON's own (the
// JSON type of each value), transcodes the object to MessagePack in schema order, and
// lets the codec's decoder judge the rest (ranges, canonical forms, unknown and
// missing keys), so the codec is the only judge of the plan's rules.

// A codec status in JSON's words: "field.path: sentence", without the byte offset.
std::string json_describe(codec::Status st) {
    std::string where = st.where;
    st.where[0] = 0;
    st.has_offset = false;
    return (where.empty() ? "" : where + ": ") + describe(st);
}

codec::Str str_of(const std::string& s) {
    return codec::Str{s.data(), static_cast<uint32_t>(s.size())};
}

// A key the schema does not have, with a placeholder value: the codec refuses the map
// at the key's name, before its value, so the value is never transcoded (a hostile
// document nested a million deep there costs nothing).
void write_unknown_key(const std::string& key, codec::Writer& w) {
    w.str(str_of(key));
    w.map_header(0);
}

template <class S> struct JsonListed; // the struct of a schema list, below

// One JSON form per field type of a schema list.
template <class C> struct JsonValue;

template <> struct JsonValue<codec::U32> {
    static bool present(uint32_t) { return true; }
    static ojson out(uint32_t v) { return v; }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        w.uint(get_uint(v, where, UINT64_MAX));
    }
};

template <> struct JsonValue<codec::Bool> {
    static bool present(bool) { return true; }
    static ojson out(bool v) { return v; }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        w.boolean(get_bool(v, where));
    }
};

template <> struct JsonValue<codec::Strings> {
    static bool present(const std::vector<std::string>&) { return true; }
    static ojson out(const std::vector<std::string>& v) { return v; }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        const json& a = get_array(v, where);
        w.array_header(static_cast<uint32_t>(a.size()));
        for (size_t i = 0; i < a.size(); ++i)
            w.str(str_of(get_string(a[i], where + "[" + std::to_string(i) + "]")));
    }
};

template <> struct JsonValue<codec::EnvPairs> {
    using Host = std::vector<std::pair<std::string, std::string>>;
    static bool present(const Host&) { return true; }
    static ojson out(const Host& v) {
        ojson a = ojson::array();
        for (const auto& [n, val] : v)
            a.push_back(ojson::array({n, val}));
        return a;
    }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        const json& a = get_array(v, where);
        w.array_header(static_cast<uint32_t>(a.size()));
        for (size_t i = 0; i < a.size(); ++i) {
            std::string at = where + "[" + std::to_string(i) + "]";
            const json& pair = get_array(a[i], at);
            w.array_header(static_cast<uint32_t>(pair.size()));
            for (size_t k = 0; k < pair.size(); ++k)
                w.str(str_of(get_string(pair[k], at + "[" + std::to_string(k) + "]")));
        }
    }
};

template <> struct JsonValue<codec::Flag> {
    static bool present(bool v) { return v; }
    static ojson out(bool) { return ojson::object(); }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        if (!v.is_object()) bad(where, "expected an object, found " + type_of(v));
        w.map_header(static_cast<uint32_t>(v.size())); // {} has no keys: any is unknown
        for (auto it = v.begin(); it != v.end(); ++it)
            write_unknown_key(it.key(), w);
    }
};

// An array of unsigned integers, transcoded as it is (the codec judges their order).
void uints_in(const json& v, const std::string& where, codec::Writer& w) {
    const json& a = get_array(v, where);
    w.array_header(static_cast<uint32_t>(a.size()));
    for (size_t i = 0; i < a.size(); ++i)
        w.uint(get_uint(a[i], where + "[" + std::to_string(i) + "]", UINT64_MAX));
}

template <> struct JsonValue<codec::CapabilitySet> {
    static bool present(uint64_t v) { return v != 0; }
    static ojson out(uint64_t v) {
        ojson caps = ojson::array();
        for (unsigned cap = 0; cap <= codec::kMaxCapability; ++cap)
            if (v & (uint64_t{1} << cap)) caps.push_back(cap);
        return caps;
    }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        uints_in(v, where, w);
    }
};

template <> struct JsonValue<codec::Ports> {
    static bool present(const codec::Ports&) { return true; }
    static ojson out(const codec::Ports& v) {
        ojson ports = ojson::array();
        for (uint32_t i = 0; i < v.count; ++i)
            ports.push_back(v.port[i]);
        return ports;
    }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        uints_in(v, where, w);
    }
};

template <> struct JsonValue<codec::MinAbi> {
    static bool present(uint8_t v) { return v != 0; }
    static ojson out(uint8_t v) { return v; }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        w.uint(get_uint(v, where, UINT64_MAX));
    }
};

template <class T> struct JsonValue<codec::Maybe<T>> {
    template <class H> static bool present(const std::optional<H>& v) { return v.has_value(); }
    template <class H> static ojson out(const std::optional<H>& v) {
        return JsonListed<T>::out(*v);
    }
    static void in(const json& v, const std::string& where, codec::Writer& w) {
        JsonListed<T>::in(v, where, w);
    }
};

// A schema-listed struct as a JSON object: present fields in list order on output; on
// input the known keys in list order, then the unknown ones (which the codec refuses).
#define BVISOR_JSON_OUT(name, type)                                                                \
    if (JsonValue<codec::type>::present(s.name)) o[#name] = JsonValue<codec::type>::out(s.name);
#define BVISOR_JSON_KEY(name, type) #name,
#define BVISOR_JSON_IN(name, type)                                                                 \
    if (v.contains(#name)) {                                                                       \
        w.str(#name);                                                                              \
        JsonValue<codec::type>::in(v[#name], join(where, #name), w);                               \
    }
#define BVISOR_JSON_LISTED(S, HostS, LIST)                                                         \
    template <> struct JsonListed<S> {                                                             \
        static ojson out(const HostS& s) {                                                         \
            ojson o = ojson::object();                                                             \
            LIST(BVISOR_JSON_OUT)                                                                  \
            return o;                                                                              \
        }                                                                                          \
        static void in(const json& v, const std::string& where, codec::Writer& w) {                \
            if (!v.is_object()) bad(where, "expected an object, found " + type_of(v));             \
            static const std::set<std::string> known = {LIST(BVISOR_JSON_KEY)};                    \
            w.map_header(static_cast<uint32_t>(v.size()));                                         \
            LIST(BVISOR_JSON_IN)                                                                   \
            for (auto it = v.begin(); it != v.end(); ++it) {                                       \
                if (known.count(it.key())) continue;                                               \
                write_unknown_key(it.key(), w);                                                    \
            }                                                                                      \
        }                                                                                          \
    };

BVISOR_JSON_LISTED(codec::SeccompRequest, SeccompRequest, BVISOR_SECCOMP_FIELDS)
BVISOR_JSON_LISTED(codec::NetworkPolicy, NetworkPolicy, BVISOR_NETWORK_FIELDS)
BVISOR_JSON_LISTED(codec::Target, TargetSpec, BVISOR_TARGET_FIELDS)

// The target object through the codec: transcoded, then decoded by the codec's rules.
TargetSpec target_from_json(const json& t) {
    auto write = [&](codec::Writer& w) { JsonListed<codec::Target>::in(t, "target", w); };
    codec::Writer count;
    write(count);
    Bytes wire(count.size());
    codec::Writer w(wire.data(), wire.size());
    write(w);
    try {
        return decode_target(wire);
    } catch (const CodecError& e) {
        throw JsonError(json_describe(e.status()));
    }
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
    ojson t = JsonListed<codec::Target>::out(b.target);
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

    b.target = target_from_json(j["target"]);
    if (!require_h_l) b.bind_lowering();
    // The whole body once through the codec, which judges what the JSON layer does not
    // (the limits on entries, slots and strings, for one).
    try {
        return decode_body(encode_body(b));
    } catch (const CodecError& e) {
        throw JsonError(json_describe(e.status()));
    }
}

} // namespace bvisor
