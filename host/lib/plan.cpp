// host/lib/plan.cpp: the host's plan values, over the codec (see bvisor/plan.hpp).
#include "bvisor/plan.hpp"

#include "codec/blake3.h"
#include "codec/text.h"

#include <list>
#include <memory>

namespace bvisor {

namespace {

codec::Str str_view(const std::string& s) {
    return codec::Str{s.data(), static_cast<uint32_t>(s.size())};
}

codec::Digest to_codec(const Digest& d) {
    codec::Digest out;
    codec::copy_bytes(out.bytes, d.data(), d.size());
    return out;
}

Digest from_codec(const codec::Digest& d) {
    Digest out;
    codec::copy_bytes(out.data(), d.bytes, out.size());
    return out;
}

std::string from_str(codec::Str s) { return std::string(s.ptr, s.len); }

// Where the codec views of host values keep their arrays (one array per field, so
// that no pointer moves when the next field is converted).
struct ViewStore {
    std::list<std::vector<codec::Str>> strings;
    std::list<std::vector<codec::EnvPair>> pairs;
};

// Host value <-> codec view, per field type of a schema list. A plain value (U32,
// Bool, Flag, CapabilitySet, MinAbi, SeccompRequest) converts as it is.
template <class C> struct Convert {
    static C to_view(const typename HostValue<C>::type& h, ViewStore&) { return C(h); }
    static typename HostValue<C>::type from_view(const C& c) { return c; }
};

template <> struct Convert<codec::Strings> {
    static codec::Strings to_view(const std::vector<std::string>& h, ViewStore& s) {
        auto& v = s.strings.emplace_back();
        for (const auto& a : h)
            v.push_back(str_view(a));
        return {v.data(), v.size()};
    }
    static std::vector<std::string> from_view(codec::Strings c) {
        std::vector<std::string> out;
        for (const auto& a : c)
            out.push_back(from_str(a));
        return out;
    }
};

template <> struct Convert<codec::EnvPairs> {
    using Host = std::vector<std::pair<std::string, std::string>>;
    static codec::EnvPairs to_view(const Host& h, ViewStore& s) {
        auto& v = s.pairs.emplace_back();
        for (const auto& [n, val] : h)
            v.push_back(codec::EnvPair{str_view(n), str_view(val)});
        return {v.data(), v.size()};
    }
    static Host from_view(codec::EnvPairs c) {
        Host out;
        for (const auto& e : c)
            out.emplace_back(from_str(e.name), from_str(e.value));
        return out;
    }
};

template <class T> struct Convert<codec::Maybe<T>> {
    using Host = typename HostValue<codec::Maybe<T>>::type;
    static codec::Maybe<T> to_view(const Host& h, ViewStore& s) {
        codec::Maybe<T> out;
        if (h) out = {true, Convert<T>::to_view(*h, s)};
        return out;
    }
    static Host from_view(const codec::Maybe<T>& c) {
        if (!c.present) return std::nullopt;
        return Convert<T>::from_view(c.value);
    }
};

codec::Target target_view(const TargetSpec& t, ViewStore& s) {
    codec::Target out;
#define BVISOR_TO_VIEW(name, type) out.name = Convert<codec::type>::to_view(t.name, s);
    BVISOR_TARGET_FIELDS(BVISOR_TO_VIEW)
#undef BVISOR_TO_VIEW
    return out;
}

TargetSpec target_from(const codec::Target& t) {
    TargetSpec out;
#define BVISOR_FROM_VIEW(name, type) out.name = Convert<codec::type>::from_view(t.name);
    BVISOR_TARGET_FIELDS(BVISOR_FROM_VIEW)
#undef BVISOR_FROM_VIEW
    return out;
}

// The codec views of one LaunchBody; they point into the body, which must outlive it.
struct View {
    std::vector<codec::LoweringEntry> lowering;
    std::vector<codec::Slot> slots;
    ViewStore store;
    codec::Plan plan;

    explicit View(const LaunchBody& b) {
        lowering = lowering_view(b.lowering);
        for (const auto& s : b.descriptor_table)
            slots.push_back(codec::Slot{s.slot_index, s.role, s.kind, s.writable});
        plan.attempt_id = to_codec(b.attempt_id);
        plan.plan_id = to_codec(b.plan_id);
        plan.h_a = to_codec(b.h_a);
        plan.h_p = to_codec(b.h_p);
        plan.h_l = to_codec(b.h_l);
        plan.lowering = {lowering.data(), lowering.size()};
        plan.descriptor_table = {slots.data(), slots.size()};
        plan.target = target_view(b.target, store);
    }

    static std::vector<codec::LoweringEntry> lowering_view(const std::vector<LoweringEntry>& in) {
        std::vector<codec::LoweringEntry> out;
        for (const auto& e : in) {
            codec::LoweringEntry c;
            c.id = str_view(e.id);
            c.version = e.version;
            c.phase_code = e.phase_code;
            c.param_digest = to_codec(e.param_digest);
            c.decl_digest = to_codec(e.decl_digest);
            out.push_back(c);
        }
        return out;
    }
};

LoweringEntry entry_from(const codec::LoweringEntry& e) {
    return LoweringEntry{from_str(e.id), e.version, e.phase_code, from_codec(e.param_digest),
                         from_codec(e.decl_digest)};
}

LaunchBody body_from(const codec::Plan& p) {
    LaunchBody b;
    b.attempt_id = from_codec(p.attempt_id);
    b.plan_id = from_codec(p.plan_id);
    b.h_a = from_codec(p.h_a);
    b.h_p = from_codec(p.h_p);
    b.h_l = from_codec(p.h_l);
    for (const auto& e : p.lowering)
        b.lowering.push_back(entry_from(e));
    for (const auto& s : p.descriptor_table)
        b.descriptor_table.push_back(DescriptorSlot{s.slot_index, s.role, s.kind, s.writable});
    b.target = target_from(p.target);
    return b;
}

// Size first, then write: the codec's two-pass encode into a vector.
template <class F> Bytes encode_twice(F encode) {
    codec::Status st;
    size_t n = encode(nullptr, 0, &st);
    Bytes out(n);
    encode(out.data(), out.size(), &st);
    if (!st.ok()) throw CodecError(st);
    return out;
}

// The decoder's storage (about 3 MiB), one per thread and reused: a decode writes every
// element before its spans show it, and each decode_* below copies its values out before
// returning, so nothing of an earlier decode is ever read. Allocated and zeroed per call
// it cost more than the decode (a unit test's 50,000 decodes spent most of a minute in
// the kernel's page faults).
codec::PlanStorage* scratch_storage() {
    thread_local auto storage = std::make_unique<codec::PlanStorage>();
    return storage.get();
}

codec::Bytes bytes_of(std::span<const uint8_t> s) { return codec::Bytes{s.data(), s.size()}; }

LoweringEntry primitive(codec::Primitive p) {
    LoweringEntry e;
    e.id = codec::primitive_id(p);
    e.phase_code = codec::primitive_phase_code(p);
    return e;
}

} // namespace

LoweringEntry LoweringEntry::scrub() { return primitive(codec::Primitive::Scrub); }
LoweringEntry LoweringEntry::landlock() { return primitive(codec::Primitive::Landlock); }
LoweringEntry LoweringEntry::seccomp() { return primitive(codec::Primitive::Seccomp); }
LoweringEntry LoweringEntry::exec() { return primitive(codec::Primitive::Exec); }
LoweringEntry LoweringEntry::hardening() { return primitive(codec::Primitive::Hardening); }
LoweringEntry LoweringEntry::network() { return primitive(codec::Primitive::Network); }

void LaunchBody::bind_lowering() { h_l = lowering_digest(lowering); }

std::string describe(const codec::Status& st) {
    char buf[512];
    codec::TextBuf t(buf, sizeof buf);
    codec::format_status(st, t);
    return t.c_str();
}

std::string describe(const codec::Refusal& r) { return describe(r.status); }

CodecError::CodecError(const codec::Status& st) : Exception(describe(st)), status_(st) {}

Bytes encode_body(const LaunchBody& body) {
    View v(body);
    return encode_twice([&](uint8_t* o, size_t c, codec::Status* s) {
        return codec::encode_body(v.plan, o, c, s);
    });
}

Bytes encode_lowering(const std::vector<LoweringEntry>& lowering) {
    auto view = View::lowering_view(lowering);
    codec::Span<codec::LoweringEntry> span{view.data(), view.size()};
    return encode_twice([&](uint8_t* o, size_t c, codec::Status* s) {
        return codec::encode_lowering(span, o, c, s);
    });
}

Bytes encode_target(const TargetSpec& target) {
    ViewStore store;
    codec::Target t = target_view(target, store);
    return encode_twice(
        [&](uint8_t* o, size_t c, codec::Status* s) { return codec::encode_target(t, o, c, s); });
}

Bytes encode_slot(const DescriptorSlot& slot) {
    codec::Slot s{slot.slot_index, slot.role, slot.kind, slot.writable};
    return encode_twice(
        [&](uint8_t* o, size_t c, codec::Status* st) { return codec::encode_slot(s, o, c, st); });
}

Digest lowering_digest(const std::vector<LoweringEntry>& lowering) {
    auto view = View::lowering_view(lowering);
    return from_codec(codec::lowering_digest({view.data(), view.size()}));
}

Bytes frame(std::span<const uint8_t> body) {
    Bytes out(codec::kFrameHeaderBytes + body.size());
    codec::Status st = codec::write_frame_header(bytes_of(body), out.data());
    if (!st.ok()) throw CodecError(st);
    std::copy(body.begin(), body.end(), out.begin() + codec::kFrameHeaderBytes);
    return out;
}

Bytes encode_frame(const LaunchBody& body) { return frame(encode_body(body)); }

std::span<const uint8_t> open_frame(std::span<const uint8_t> f) {
    codec::Bytes body;
    codec::Status st = codec::open_frame(bytes_of(f), &body);
    if (!st.ok()) throw CodecError(st);
    return {body.ptr, body.len};
}

LaunchBody decode_body(std::span<const uint8_t> body) {
    codec::PlanStorage* storage = scratch_storage();
    codec::DecodedPlan d;
    codec::Status st = codec::decode_body(bytes_of(body), storage, &d);
    if (!st.ok()) throw CodecError(st);
    return body_from(d.plan);
}

LaunchBody decode_frame(std::span<const uint8_t> f) { return decode_body(open_frame(f)); }

std::vector<LoweringEntry> decode_lowering(std::span<const uint8_t> bytes) {
    codec::PlanStorage* storage = scratch_storage();
    codec::Span<codec::LoweringEntry> out;
    codec::Status st = codec::decode_lowering(bytes_of(bytes), storage, &out);
    if (!st.ok()) throw CodecError(st);
    std::vector<LoweringEntry> v;
    for (const auto& e : out)
        v.push_back(entry_from(e));
    return v;
}

TargetSpec decode_target(std::span<const uint8_t> bytes) {
    codec::PlanStorage* storage = scratch_storage();
    codec::Target out;
    codec::Status st = codec::decode_target(bytes_of(bytes), storage, &out);
    if (!st.ok()) throw CodecError(st);
    return target_from(out);
}

DescriptorSlot decode_slot(std::span<const uint8_t> bytes) {
    codec::Slot out;
    codec::Status st = codec::decode_slot(bytes_of(bytes), &out);
    if (!st.ok()) throw CodecError(st);
    return DescriptorSlot{out.slot_index, out.role, out.kind, out.writable};
}

std::optional<Verdict> verify_frame(std::span<const uint8_t> f, int control_fd, int plan_fd) {
    codec::PlanStorage* storage = scratch_storage();
    codec::DecodedPlan d;
    codec::RefusalReason reason;
    char buf[512];
    codec::TextBuf detail(buf, sizeof buf);
    if (!codec::verify_identity(bytes_of(f), storage, &d, &reason, detail))
        return Verdict{reason, detail.c_str()};
    codec::Refusal r;
    if (!codec::check_plan(d.plan, control_fd, plan_fd, &r)) return Verdict{r.reason, describe(r)};
    return std::nullopt;
}

std::string to_hex(std::span<const uint8_t> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint8_t b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    Digest d;
    for (size_t i = 0; i < 32; ++i) {
        int v = 0;
        for (size_t k = 0; k < 2; ++k) {
            char c = hex[2 * i + k];
            int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (x < 0) return std::nullopt;
            v = v * 16 + x;
        }
        d[i] = static_cast<uint8_t>(v);
    }
    return d;
}

} // namespace bvisor
