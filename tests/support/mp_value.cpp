// tests/support/mp_value.cpp: see mp_value.hpp.
#include "mp_value.hpp"

#include <stdexcept>

namespace bvisor::test {

MpValue MpValue::uint(uint64_t v, int w) {
    MpValue x;
    x.type = Type::UInt;
    x.u = v;
    x.width = w;
    return x;
}
MpValue MpValue::neg(uint64_t m) {
    MpValue x;
    x.type = Type::NegInt;
    x.u = m;
    return x;
}
MpValue MpValue::boolean(bool v) {
    MpValue x;
    x.type = Type::Bool;
    x.b = v;
    return x;
}
MpValue MpValue::nil() { return MpValue{}; }
MpValue MpValue::str(std::string v, int w) {
    MpValue x;
    x.type = Type::Str;
    x.s = std::move(v);
    x.width = w;
    return x;
}
MpValue MpValue::bin(std::string v) {
    MpValue x;
    x.type = Type::Bin;
    x.s = std::move(v);
    return x;
}
MpValue MpValue::array(std::vector<MpValue> v, int w) {
    MpValue x;
    x.type = Type::Array;
    x.items = std::move(v);
    x.width = w;
    return x;
}
MpValue MpValue::map(std::vector<MpEntry> v, int w) {
    MpValue x;
    x.type = Type::Map;
    x.entries = std::move(v);
    x.width = w;
    return x;
}
MpValue MpValue::raw(std::string bytes) {
    MpValue x;
    x.type = Type::Raw;
    x.s = std::move(bytes);
    return x;
}
MpValue MpValue::digest(const Digest& d) {
    std::vector<MpValue> v;
    for (uint8_t b : d)
        v.push_back(uint(b));
    return array(std::move(v));
}

size_t MpValue::index_of(const std::string& key) const {
    for (size_t i = 0; i < entries.size(); ++i)
        if (entries[i].first.type == Type::Str && entries[i].first.s == key) return i;
    throw std::runtime_error("no key " + key);
}
MpValue& MpValue::at(const std::string& key) { return entries[index_of(key)].second; }
bool MpValue::has(const std::string& key) const {
    for (const auto& e : entries)
        if (e.first.type == Type::Str && e.first.s == key) return true;
    return false;
}
void MpValue::erase(const std::string& key) {
    entries.erase(entries.begin() + static_cast<long>(index_of(key)));
}

namespace {

void put_be(std::vector<uint8_t>& out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

int smallest(uint64_t v, int fix_max) {
    if (fix_max >= 0 && v <= static_cast<uint64_t>(fix_max)) return 0;
    return v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffULL ? 4 : 8;
}

void header(std::vector<uint8_t>& out, uint64_t n, int width, uint8_t fix, int fix_max,
            uint8_t base8, uint8_t base16, uint8_t base32) {
    if (width < 0) width = smallest(n, fix_max);
    if (width == 1 && base8 == 0) width = 2; // no 8-bit form (arrays, maps)
    switch (width) {
    case 0:
        out.push_back(static_cast<uint8_t>(fix | n));
        break;
    case 1:
        out.push_back(base8);
        put_be(out, n, 1);
        break;
    case 2:
        out.push_back(base16);
        put_be(out, n, 2);
        break;
    default:
        out.push_back(base32);
        put_be(out, n, 4);
        break;
    }
}

void encode(const MpValue& v, std::vector<uint8_t>& out) {
    using T = MpValue::Type;
    switch (v.type) {
    case T::Nil:
        out.push_back(0xc0);
        break;
    case T::Bool:
        out.push_back(v.b ? 0xc3 : 0xc2);
        break;
    case T::UInt: {
        int w = v.width < 0 ? smallest(v.u, 127) : v.width;
        if (w == 0)
            out.push_back(static_cast<uint8_t>(v.u));
        else {
            out.push_back(w == 1 ? 0xcc : w == 2 ? 0xcd : w == 4 ? 0xce : 0xcf);
            put_be(out, v.u, w);
        }
        break;
    }
    case T::NegInt:
        if (v.u <= 32)
            out.push_back(static_cast<uint8_t>(0x100 - v.u));
        else {
            out.push_back(0xd3);
            put_be(out, 0 - v.u, 8);
        }
        break;
    case T::Str:
        header(out, v.s.size(), v.width, 0xa0, 31, 0xd9, 0xda, 0xdb);
        out.insert(out.end(), v.s.begin(), v.s.end());
        break;
    case T::Bin:
        header(out, v.s.size(), v.s.size() <= 0xff ? 1 : 2, 0, -1, 0xc4, 0xc5, 0xc6);
        out.insert(out.end(), v.s.begin(), v.s.end());
        break;
    case T::Array:
        header(out, v.items.size(), v.width, 0x90, 15, 0, 0xdc, 0xdd);
        for (const auto& i : v.items)
            encode(i, out);
        break;
    case T::Map:
        header(out, v.entries.size(), v.width, 0x80, 15, 0, 0xde, 0xdf);
        for (const auto& [k, x] : v.entries) {
            encode(k, out);
            encode(x, out);
        }
        break;
    case T::Raw:
        out.insert(out.end(), v.s.begin(), v.s.end());
        break;
    }
}

using KV = MpEntry;
KV kv(const char* k, MpValue v) { return {MpValue::str(k), std::move(v)}; }

} // namespace

std::vector<uint8_t> mp_encode(const MpValue& v) {
    std::vector<uint8_t> out;
    encode(v, out);
    return out;
}

MpValue body_value(const LaunchBody& b) {
    std::vector<MpValue> entries;
    for (const auto& e : b.lowering) {
        entries.push_back(
            MpValue::map({kv("id", MpValue::str(e.id)), kv("version", MpValue::uint(e.version)),
                          kv("phase_code", MpValue::uint(e.phase_code)),
                          kv("param_digest", MpValue::digest(e.param_digest)),
                          kv("decl_digest", MpValue::digest(e.decl_digest))}));
    }
    std::vector<MpValue> table;
    for (const auto& s : b.descriptor_table) {
        table.push_back(MpValue::map(
            {kv("slot_index", MpValue::uint(s.slot_index)),
             kv("role", MpValue::str(codec::role_name(s.role))),
             kv("expected", MpValue::map({kv("kind", MpValue::str(codec::kind_name(s.kind))),
                                          kv("writable", MpValue::boolean(s.writable))}))}));
    }
    std::vector<MpValue> argv, envp;
    for (const auto& a : b.target.argv)
        argv.push_back(MpValue::str(a));
    for (const auto& [n, v] : b.target.envp)
        envp.push_back(MpValue::array({MpValue::str(n), MpValue::str(v)}));
    std::vector<KV> target = {kv("argv", MpValue::array(argv)), kv("envp", MpValue::array(envp)),
                              kv("exe_slot", MpValue::uint(b.target.exe_slot))};
    if (b.target.user_namespace) target.push_back(kv("user_namespace", MpValue::map({})));
    if (b.target.network_namespace) target.push_back(kv("network_namespace", MpValue::map({})));
    if (b.target.seccomp) {
        target.push_back(kv(
            "seccomp",
            MpValue::map(
                {kv("deny_new_tasks", MpValue::boolean(b.target.seccomp->deny_new_tasks)),
                 kv("deny_inet_sockets", MpValue::boolean(b.target.seccomp->deny_inet_sockets))})));
    }
    // The extensions (docs/PROTOCOL.md section 11), written out independently of the codec.
    if (b.target.keep_capabilities) {
        std::vector<MpValue> caps;
        for (uint64_t cap = 0; cap < 64; ++cap)
            if (b.target.keep_capabilities >> cap & 1) caps.push_back(MpValue::uint(cap));
        target.push_back(kv("keep_capabilities", MpValue::array(caps)));
    }
    if (b.target.allow_abstract_unix) target.push_back(kv("allow_abstract_unix", MpValue::map({})));
    if (b.target.allow_signals) target.push_back(kv("allow_signals", MpValue::map({})));
    if (b.target.landlock_min_abi)
        target.push_back(kv("landlock_min_abi", MpValue::uint(b.target.landlock_min_abi)));
    return MpValue::map(
        {kv("attempt_id", MpValue::digest(b.attempt_id)), kv("plan_id", MpValue::digest(b.plan_id)),
         kv("h_a", MpValue::digest(b.h_a)), kv("h_p", MpValue::digest(b.h_p)),
         kv("h_l", MpValue::digest(b.h_l)),
         kv("lowering", MpValue::map({kv("entries", MpValue::array(entries))})),
         kv("descriptor_table", MpValue::array(table)), kv("target", MpValue::map(target))});
}

} // namespace bvisor::test
