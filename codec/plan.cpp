// codec/plan.cpp: the plan frame and body codec (see plan.h).
//
// Decoding is schema-driven: each struct is a map whose keys must be exactly its
// field names, in declaration order, each at most once, optional fields absent or
// present with a non-nil value. `StructReader` enforces that; the per-struct decoders
// only say what each field's value is.
#include "plan.h"

#include "blake3.h"
#include "msgpack.h"

namespace bvisor::codec {

namespace {

// ------------------------------------------------------------------ frame helpers

uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t load_le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

Status frame_status(Error e, uint64_t aux = 0, uint64_t aux2 = 0) {
    Status st;
    st.code = e;
    st.aux = aux;
    st.aux2 = aux2;
    return st;
}

// ------------------------------------------------------------------ struct reader

struct Field {
    const char* name;
    bool optional;
};

class StructReader {
public:
    StructReader(Reader& r, const Field* fields, int n_fields)
        : r_(r), fields_(fields), n_fields_(n_fields) {
        start_ = r_.pos();
        if (r_.map_header(&remaining_)) entered_ = r_.enter();
    }

    // The index of the next field to decode, or -1 when the map is done or failed.
    int next() {
        if (!entered_ || !r_.ok()) return -1;
        if (remaining_ == 0) {
            finish();
            return -1;
        }
        size_t at = r_.pos();
        Str key;
        if (!r_.str(&key)) return -1;
        int idx = -1;
        for (int i = 0; i < n_fields_; ++i) {
            if (str_eq(key, fields_[i].name)) idx = i;
        }
        if (idx < 0) {
            r_.fail_subject(Error::UnknownKey, at, key);
            return -1;
        }
        if (idx < next_) {
            r_.fail_subject(seen_ & (1u << idx) ? Error::DuplicateKey : Error::KeyOrder, at, key);
            return -1;
        }
        for (int i = next_; i < idx; ++i) {
            if (!fields_[i].optional) {
                // A required field was skipped: it is missing, unless it comes later in
                // this map (then the keys are merely out of order).
                Error e = appears_later(fields_[i].name) ? Error::KeyOrder : Error::MissingKey;
                r_.fail_subject(e, at, key, fields_[i].name);
                return -1;
            }
        }
        seen_ |= 1u << idx;
        next_ = idx + 1;
        --remaining_;
        if (fields_[idx].optional && r_.peek() == 0xc0) {
            r_.push(fields_[idx].name);
            r_.fail(Error::NilOptional, r_.pos());
            return -1;
        }
        return idx;
    }

private:
    // Looks ahead (on a copy of the reader) through the rest of this map's keys.
    bool appears_later(const char* name) const {
        Reader look = r_;
        if (!look.skip_value()) return false; // the value of the current key
        for (uint32_t i = 0; i < remaining_ - 1; ++i) {
            Str k;
            if (!look.str(&k)) return false;
            if (str_eq(k, name)) return true;
            if (!look.skip_value()) return false;
        }
        return false;
    }

    void finish() {
        for (int i = next_; i < n_fields_; ++i) {
            if (!fields_[i].optional) {
                r_.fail(Error::MissingKey, start_, 0, fields_[i].name);
                return;
            }
        }
        r_.leave();
    }

    Reader& r_;
    const Field* fields_;
    int n_fields_;
    size_t start_ = 0;
    uint32_t remaining_ = 0;
    int next_ = 0;
    uint32_t seen_ = 0;
    bool entered_ = false;
};

// Runs `decode_value(field_index)` for each field with the field's name on the path.
template <class F> bool read_struct(Reader& r, const Field* fields, int n, F decode_value) {
    StructReader s(r, fields, n);
    for (int f; (f = s.next()) >= 0;) {
        r.push(fields[f].name);
        bool ok = decode_value(f);
        r.pop();
        if (!ok) return false;
    }
    return r.ok();
}

bool read_u32(Reader& r, uint32_t* ret) {
    uint64_t v;
    if (!r.uint(0xffffffffULL, &v)) return false;
    *ret = static_cast<uint32_t>(v);
    return true;
}

bool read_u8(Reader& r, uint8_t* ret) {
    uint64_t v;
    if (!r.uint(0xff, &v)) return false;
    *ret = static_cast<uint8_t>(v);
    return true;
}

template <class E> bool read_enum(Reader& r, bool (*from_name)(Str, E*), E* ret, const char* what) {
    // rmp_serde writes a unit variant as its name; an integer index is refused.
    size_t at = r.pos();
    int lead = r.peek();
    bool is_str = (lead >= 0xa0 && lead <= 0xbf) || (lead >= 0xd9 && lead <= 0xdb);
    if (lead >= 0 && !is_str) return r.fail_wrong_type(at, "string (enum variant name)");
    Str name;
    if (!r.str(&name)) return false;
    if (!from_name(name, ret)) return r.fail_subject(Error::UnknownVariant, at, name, what);
    return true;
}

// Reads an array header and checks it against a capacity.
bool read_counted(Reader& r, uint32_t cap, Error too_many, uint32_t* ret_n) {
    size_t at = r.pos();
    if (!r.array_header(ret_n)) return false;
    if (*ret_n > cap) return r.fail(too_many, at, *ret_n);
    return true;
}

// ------------------------------------------------------------------ schema

constexpr Field kLoweringFields[] = {{"entries", false}};
constexpr Field kShapeFields[] = {{"kind", false}, {"writable", false}};
constexpr Field kSlotFields[] = {{"slot_index", false}, {"role", false}, {"expected", false}};

template <size_t N> constexpr int count(const Field (&)[N]) { return static_cast<int>(N); }

bool read_slot(Reader& r, Slot* s) {
    return read_struct(r, kSlotFields, count(kSlotFields), [&](int f) {
        switch (f) {
        case 0:
            return read_u32(r, &s->slot_index);
        case 1:
            return read_enum(r, role_from_name, &s->role, "DescriptorRole");
        default:
            return read_struct(r, kShapeFields, count(kShapeFields), [&](int g) {
                if (g == 0) return read_enum(r, kind_from_name, &s->kind, "DescriptorKind");
                return r.boolean(&s->writable);
            });
        }
    });
}

// ------------------------------------------------------------------ schema-listed structs
//
// The structs of a BVISOR_*_FIELDS list (plan.h) are read and written field by field
// from the list: one read_value / write_value / present overload per field type.

// The decoder's storage is one pool per element type, shared by every field of that
// type, and the string limit counts argv and envp together.
struct ReadContext {
    PlanStorage* storage;
    uint32_t strings = 0; // Str pool used, and the argv + envp strings so far
    uint32_t pairs = 0;   // EnvPair pool used
    // Where the body's `lowering` value lies in the body (h_l binds those bytes).
    size_t lowering_offset = 0, lowering_len = 0;
};

template <class T> constexpr bool kOptional = false;
template <> constexpr bool kOptional<Flag> = true;
template <> constexpr bool kOptional<CapabilitySet> = true;
template <> constexpr bool kOptional<MinAbi> = true;
template <class T> constexpr bool kOptional<Maybe<T>> = true;

template <class S> bool read_listed(Reader& r, ReadContext& c, S* s);
template <class S> void write_listed(Writer& w, const S& s);
// The listed structs (BVISOR_LISTED_STRUCT below), declared before their first use.
#define BVISOR_DECLARE_LISTED(S)                                                                   \
    template <> bool read_listed(Reader& r, ReadContext& c, S* s);                                 \
    template <> void write_listed(Writer& w, const S& s);
BVISOR_DECLARE_LISTED(LoweringEntry)
BVISOR_DECLARE_LISTED(Plan)
BVISOR_DECLARE_LISTED(SeccompRequest)
BVISOR_DECLARE_LISTED(NetworkPolicy)
BVISOR_DECLARE_LISTED(Target)

bool read_value(Reader& r, ReadContext&, U32* v) { return read_u32(r, v); }
bool read_value(Reader& r, ReadContext&, U8* v) { return read_u8(r, v); }
bool read_value(Reader& r, ReadContext&, Bool* v) { return r.boolean(v); }
bool read_value(Reader& r, ReadContext&, Text* v) { return r.str(v); }
bool read_value(Reader& r, ReadContext&, Digest* v) { return r.digest(v); }
bool read_value(Reader& r, ReadContext& c, Target* v) { return read_listed(r, c, v); }

bool read_lowering(Reader& r, ReadContext& c, Lowering* ret) {
    return read_struct(r, kLoweringFields, count(kLoweringFields), [&](int) {
        uint32_t n;
        if (!read_counted(r, kMaxLoweringEntries, Error::TooManyEntries, &n)) return false;
        if (!r.enter()) return false;
        for (uint32_t i = 0; i < n; ++i) {
            r.set_index(static_cast<int32_t>(i));
            if (!read_listed(r, c, &c.storage->lowering[i])) return false;
        }
        r.set_index(-1);
        r.leave();
        *ret = Lowering{c.storage->lowering, n};
        return true;
    });
}

bool read_value(Reader& r, ReadContext& c, SlotTable* ret) {
    uint32_t n;
    if (!read_counted(r, kMaxSlots, Error::TooManySlots, &n)) return false;
    if (!r.enter()) return false;
    for (uint32_t i = 0; i < n; ++i) {
        r.set_index(static_cast<int32_t>(i));
        if (!read_slot(r, &c.storage->slots[i])) return false;
    }
    r.set_index(-1);
    r.leave();
    *ret = SlotTable{c.storage->slots, n};
    return true;
}

bool read_value(Reader& r, ReadContext& c, Lowering* v) {
    c.lowering_offset = r.pos();
    bool ok = read_lowering(r, c, v);
    c.lowering_len = r.pos() - c.lowering_offset;
    return ok;
}

bool read_value(Reader& r, ReadContext&, Flag* v) {
    v->on = true;
    return read_struct(r, nullptr, 0, [](int) { return false; });
}

template <class T> bool read_value(Reader& r, ReadContext& c, Maybe<T>* v) {
    v->present = true;
    return read_listed(r, c, &v->value);
}

bool read_value(Reader& r, ReadContext& c, Strings* v) {
    uint32_t n;
    if (!read_counted(r, kMaxStrings - c.strings, Error::TooManyStrings, &n)) return false;
    if (!r.enter()) return false;
    Str* out = c.storage->argv + c.strings;
    for (uint32_t i = 0; i < n; ++i) {
        r.set_index(static_cast<int32_t>(i));
        if (!r.str(&out[i], kMaxStringBytes)) return false;
    }
    r.set_index(-1);
    r.leave();
    c.strings += n;
    *v = Strings{out, n};
    return true;
}

bool read_value(Reader& r, ReadContext& c, EnvPairs* v) {
    size_t at = r.pos();
    uint32_t n;
    if (!r.array_header(&n)) return false;
    if (static_cast<uint64_t>(n) + c.strings > kMaxStrings)
        return r.fail(Error::TooManyStrings, at, static_cast<uint64_t>(n) + c.strings);
    if (!r.enter()) return false;
    EnvPair* out = c.storage->envp + c.pairs;
    for (uint32_t i = 0; i < n; ++i) {
        r.set_index(static_cast<int32_t>(i));
        size_t pair_at = r.pos();
        uint32_t two;
        if (!r.array_header(&two)) return false;
        if (two != 2) return r.fail(Error::BadPairLength, pair_at, two);
        if (!r.enter()) return false;
        if (!r.str(&out[i].name, kMaxStringBytes) || !r.str(&out[i].value, kMaxStringBytes))
            return false;
        r.leave();
    }
    r.set_index(-1);
    r.leave();
    c.strings += n;
    c.pairs += n;
    *v = EnvPairs{out, n};
    return true;
}

// Strictly ascending capability numbers, at least one (absent is the only encoding of
// "none"), so that a set has exactly one encoding.
bool read_value(Reader& r, ReadContext&, CapabilitySet* v) {
    size_t at = r.pos();
    uint32_t n;
    if (!r.array_header(&n)) return false;
    if (n == 0) return r.fail(Error::EmptyCapabilities, at);
    if (!r.enter()) return false;
    uint64_t set = 0;
    int64_t last = -1;
    for (uint32_t i = 0; i < n; ++i) {
        r.set_index(static_cast<int32_t>(i));
        size_t cap_at = r.pos();
        uint64_t cap;
        if (!r.uint(kMaxCapability, &cap)) return false;
        if (static_cast<int64_t>(cap) <= last) return r.fail(Error::CapabilityOrder, cap_at, cap);
        last = static_cast<int64_t>(cap);
        set |= uint64_t{1} << cap;
    }
    r.set_index(-1);
    r.leave();
    v->bits = set;
    return true;
}

// Strictly ascending TCP ports, at most kMaxPorts; empty is allowed (the field is
// required inside target.network, so [] is the one encoding of "no port").
bool read_value(Reader& r, ReadContext&, Ports* v) {
    size_t at = r.pos();
    uint32_t n;
    if (!r.array_header(&n)) return false;
    if (n > kMaxPorts) return r.fail(Error::TooManyPorts, at, n);
    if (!r.enter()) return false;
    int64_t last = -1;
    for (uint32_t i = 0; i < n; ++i) {
        r.set_index(static_cast<int32_t>(i));
        size_t port_at = r.pos();
        uint64_t port;
        if (!r.uint(UINT16_MAX, &port)) return false;
        if (static_cast<int64_t>(port) <= last) return r.fail(Error::PortOrder, port_at, port);
        last = static_cast<int64_t>(port);
        v->port[i] = static_cast<uint16_t>(port);
    }
    r.set_index(-1);
    r.leave();
    v->count = static_cast<uint16_t>(n);
    return true;
}

// Absent is the only encoding of "no minimum": 0 and 1 would be a second one.
bool read_value(Reader& r, ReadContext&, MinAbi* v) {
    size_t at = r.pos();
    if (!read_u8(r, &v->abi)) return false;
    if (v->abi < 2) return r.fail(Error::LandlockMinAbiTooLow, at, v->abi);
    return true;
}

template <class T> bool present(const T&) { return true; } // a required field
bool present(Flag v) { return v.on; }
bool present(CapabilitySet v) { return v.bits != 0; }
bool present(MinAbi v) { return v.abi != 0; }
template <class T> bool present(const Maybe<T>& v) { return v.present; }

void write_lowering(Writer& w, Lowering lowering);
void write_slot(Writer& w, const Slot& s);

void write_value(Writer& w, U32 v) { w.uint(v); }
void write_value(Writer& w, U8 v) { w.uint(v); }
void write_value(Writer& w, Bool v) { w.boolean(v); }
void write_value(Writer& w, Text v) { w.str(v); }
void write_value(Writer& w, const Digest& v) { w.digest(v); }
void write_value(Writer& w, Lowering v) { write_lowering(w, v); }
void write_value(Writer& w, const Target& v) { write_listed(w, v); }

void write_value(Writer& w, SlotTable v) {
    w.array_header(static_cast<uint32_t>(v.len));
    for (const auto& s : v)
        write_slot(w, s);
}
void write_value(Writer& w, Flag) { w.map_header(0); }
template <class T> void write_value(Writer& w, const Maybe<T>& v) { write_listed(w, v.value); }

void write_value(Writer& w, Strings v) {
    w.array_header(static_cast<uint32_t>(v.len));
    for (const auto& a : v)
        w.str(a);
}

void write_value(Writer& w, EnvPairs v) {
    w.array_header(static_cast<uint32_t>(v.len));
    for (const auto& e : v) {
        w.array_header(2);
        w.str(e.name);
        w.str(e.value);
    }
}

void write_value(Writer& w, CapabilitySet v) {
    w.array_header(static_cast<uint32_t>(__builtin_popcountll(v.bits)));
    for (uint32_t cap = 0; cap <= kMaxCapability; ++cap)
        if (v.bits & (uint64_t{1} << cap)) w.uint(cap);
}

void write_value(Writer& w, MinAbi v) { w.uint(v.abi); }

void write_value(Writer& w, const Ports& v) {
    w.array_header(v.count);
    for (uint32_t i = 0; i < v.count; ++i)
        w.uint(v.port[i]);
}

// Expands one schema list into its field enum, its key table, and the list-driven
// read_listed / write_listed for its struct.
#define BVISOR_FIELD_ENUM(name, type) name,
#define BVISOR_FIELD_KEY(name, type) {#name, kOptional<type>},
#define BVISOR_READ_CASE(name, type)                                                               \
    case Fields::name:                                                                             \
        return read_value(r, c, &s->name);
#define BVISOR_COUNT_PRESENT(name, type) n += present(s.name) ? 1 : 0;
#define BVISOR_WRITE_PRESENT(name, type)                                                           \
    if (present(s.name)) {                                                                         \
        w.str(#name);                                                                              \
        write_value(w, s.name);                                                                    \
    }
#define BVISOR_LISTED_STRUCT(S, LIST)                                                              \
    template <> bool read_listed(Reader& r, ReadContext& c, S* s) {                                \
        enum class Fields { LIST(BVISOR_FIELD_ENUM) };                                             \
        static constexpr Field kKeys[] = {LIST(BVISOR_FIELD_KEY)};                                 \
        *s = S{};                                                                                  \
        return read_struct(r, kKeys, count(kKeys), [&](int f) {                                    \
            switch (static_cast<Fields>(f)) { LIST(BVISOR_READ_CASE) }                             \
            return false;                                                                          \
        });                                                                                        \
    }                                                                                              \
    template <> void write_listed(Writer& w, const S& s) {                                         \
        uint32_t n = 0;                                                                            \
        LIST(BVISOR_COUNT_PRESENT)                                                                 \
        w.map_header(n);                                                                           \
        LIST(BVISOR_WRITE_PRESENT)                                                                 \
    }

BVISOR_LISTED_STRUCT(LoweringEntry, BVISOR_ENTRY_FIELDS)
BVISOR_LISTED_STRUCT(Plan, BVISOR_BODY_FIELDS)
BVISOR_LISTED_STRUCT(SeccompRequest, BVISOR_SECCOMP_FIELDS)
BVISOR_LISTED_STRUCT(NetworkPolicy, BVISOR_NETWORK_FIELDS)
BVISOR_LISTED_STRUCT(Target, BVISOR_TARGET_FIELDS)

bool read_target(Reader& r, PlanStorage* storage, Target* t) {
    ReadContext c{storage};
    return read_listed(r, c, t);
}

bool read_body(Reader& r, PlanStorage* storage, DecodedPlan* out) {
    ReadContext c{storage};
    bool ok = read_listed(r, c, &out->plan);
    out->lowering_offset = c.lowering_offset;
    out->lowering_len = c.lowering_len;
    return ok;
}

// Exact consumption: the top-level value must end exactly at the end of the input.
Status finish(Reader& r) {
    if (r.ok() && r.remaining() != 0) r.fail(Error::TrailingBytes, r.pos(), r.remaining());
    return r.status();
}

// ------------------------------------------------------------------ encoders

void write_lowering(Writer& w, Lowering lowering) {
    w.map_header(1);
    w.str("entries");
    w.array_header(static_cast<uint32_t>(lowering.len));
    for (const auto& e : lowering)
        write_listed(w, e);
}

void write_slot(Writer& w, const Slot& s) {
    w.map_header(3);
    w.str("slot_index");
    w.uint(s.slot_index);
    w.str("role");
    w.str(role_name(s.role));
    w.str("expected");
    w.map_header(2);
    w.str("kind");
    w.str(kind_name(s.kind));
    w.str("writable");
    w.boolean(s.writable);
}

void write_target(Writer& w, const Target& t) { write_listed(w, t); }

void write_body(Writer& w, const Plan& p) { write_listed(w, p); }

template <class F> size_t encode_with(uint8_t* out, size_t cap, Status* ret_status, F write) {
    Writer w = out ? Writer(out, cap) : Writer();
    write(w);
    if (ret_status) {
        *ret_status = Status{};
        if (!w.ok()) {
            ret_status->code = Error::BufferTooSmall;
            ret_status->aux = w.size();
        }
    }
    return w.size();
}

// Runs one top-level reader over the whole input (exact consumption); *ret is written
// only on success.
template <class T, class F> Status decode_with(Bytes bytes, const char* root, T* ret, F read) {
    Reader r(bytes);
    if (root) r.push(root);
    T out{};
    read(r, &out);
    Status st = finish(r);
    if (st.ok()) *ret = out;
    return st;
}

} // namespace

// ------------------------------------------------------------------ public

Status open_frame(Bytes frame, Bytes* ret_body) {
    if (frame.len < kFrameHeaderBytes) return frame_status(Error::FrameTruncated, frame.len);
    if (__builtin_memcmp(frame.ptr, kFrameMagic, sizeof kFrameMagic) != 0)
        return frame_status(Error::BadMagic);
    uint16_t version = load_le16(frame.ptr + 8);
    if (version != kProtocolVersion) return frame_status(Error::UnsupportedVersion, version);
    uint32_t body_len = load_le32(frame.ptr + 10);
    if (frame.len - kFrameHeaderBytes != body_len)
        return frame_status(Error::LengthMismatch, body_len, frame.len);
    Bytes body{frame.ptr + kFrameHeaderBytes, body_len};
    Digest d = Blake3::hash(body.ptr, body.len);
    if (__builtin_memcmp(d.bytes, frame.ptr + 14, kDigestBytes) != 0)
        return frame_status(Error::DigestMismatch);
    *ret_body = body;
    return Status{};
}

Status write_frame_header(Bytes body, uint8_t header[kFrameHeaderBytes]) {
    if (body.len > 0xffffffffULL) return frame_status(Error::BodyTooLarge, body.len);
    copy_bytes(header, kFrameMagic, sizeof kFrameMagic);
    header[8] = static_cast<uint8_t>(kProtocolVersion & 0xff);
    header[9] = static_cast<uint8_t>(kProtocolVersion >> 8);
    for (int i = 0; i < 4; ++i)
        header[10 + i] = static_cast<uint8_t>(body.len >> (8 * i));
    Digest d = Blake3::hash(body.ptr, body.len);
    copy_bytes(header + 14, d.bytes, kDigestBytes);
    return Status{};
}

Status decode_body(Bytes body, PlanStorage* storage, DecodedPlan* ret) {
    return decode_with(body, nullptr, ret,
                       [&](Reader& r, DecodedPlan* out) { return read_body(r, storage, out); });
}

Status decode_lowering(Bytes bytes, PlanStorage* storage, Span<LoweringEntry>* ret) {
    return decode_with(bytes, "lowering", ret, [&](Reader& r, Span<LoweringEntry>* out) {
        ReadContext c{storage};
        return read_lowering(r, c, out);
    });
}

Status decode_target(Bytes bytes, PlanStorage* storage, Target* ret) {
    return decode_with(bytes, "target", ret,
                       [&](Reader& r, Target* out) { return read_target(r, storage, out); });
}

Status decode_slot(Bytes bytes, Slot* ret) { return decode_with(bytes, "slot", ret, read_slot); }

size_t encode_body(const Plan& plan, uint8_t* out, size_t cap, Status* ret_status) {
    return encode_with(out, cap, ret_status, [&](Writer& w) { write_body(w, plan); });
}

size_t encode_lowering(Span<LoweringEntry> lowering, uint8_t* out, size_t cap, Status* ret_status) {
    return encode_with(out, cap, ret_status, [&](Writer& w) { write_lowering(w, lowering); });
}

size_t encode_target(const Target& target, uint8_t* out, size_t cap, Status* ret_status) {
    return encode_with(out, cap, ret_status, [&](Writer& w) { write_target(w, target); });
}

size_t encode_slot(const Slot& slot, uint8_t* out, size_t cap, Status* ret_status) {
    return encode_with(out, cap, ret_status, [&](Writer& w) { write_slot(w, slot); });
}

Digest lowering_digest(Span<LoweringEntry> lowering) {
    Blake3 h;
    Writer w(&h);
    write_lowering(w, lowering);
    return h.finalize();
}

} // namespace bvisor::codec
