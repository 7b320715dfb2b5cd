// codec/plan.h: the v1 launch plan, its frame, and its canonical encoding
// (docs/PROTOCOL.md sections 2-4).
//
// `Plan` is a view: strings point into someone else's bytes and sequences are Spans.
// The decoder fills one from an input buffer plus caller-provided `PlanStorage`
// (fixed capacity: the limits of PROTOCOL.md section 3), allocating nothing; the host
// fills one from its own vectors to encode. One encoder and one decoder serve both sides.
//
// Decoding checks the wire form only (strict canonical, PROTOCOL.md section 10): any u32
// is a valid slot_index, any string a valid id. What a plan means is checked by checks.h.
#pragma once

#include "base.h"
#include "error.h"
#include "protocol.h"

namespace bvisor::codec {

// --- limits (PROTOCOL.md section 3)
constexpr size_t kMaxPlanBytes = 4u * 1024 * 1024; // the whole frame
constexpr uint32_t kMaxSlots = 1024;
constexpr uint32_t kMaxLoweringEntries = 64;
constexpr uint32_t kMaxStrings = 65536; // argv + envp together

// --- frame (section 2)
constexpr size_t kFrameHeaderBytes = 46;
constexpr uint8_t kFrameMagic[8] = {'B', 'V', 'Z', 'L', 'N', 'C', 'H', '1'};
constexpr uint16_t kProtocolVersion = 1;

// --- the upstream structs (section 3), field order is normative
struct Slot {
    uint32_t slot_index = 0;
    Role role = Role::ReadRoot;
    Kind kind = Kind::Directory; // expected.kind
    bool writable = false;       // expected.writable
};

struct EnvPair {
    Str name;
    Str value;
};

// --- field types with a wire form of their own. Each converts to and from its plain
// value, so code that reads a plan writes `t.allow_signals` and `t.keep_capabilities`
// as a bool and a u64.
struct Flag { // an optional empty request: Some({}) when on, absent when off
    bool on = false;
    constexpr Flag() = default;
    constexpr Flag(bool b) : on(b) {}
    constexpr operator bool() const { return on; }
};

constexpr uint32_t kMaxCapability = 63; // capability numbers are bits of a u64

// keep_capabilities: on the wire a strictly ascending, non-empty array of capability
// numbers; here bit n = capability n. 0 = absent.
struct CapabilitySet {
    uint64_t bits = 0;
    constexpr CapabilitySet() = default;
    constexpr CapabilitySet(uint64_t b) : bits(b) {}
    constexpr operator uint64_t() const { return bits; }
};

// landlock_min_abi: 0 = absent; on the wire 2..255.
struct MinAbi {
    uint8_t abi = 0;
    constexpr MinAbi() = default;
    constexpr MinAbi(uint8_t a) : abi(a) {}
    constexpr operator uint8_t() const { return abi; }
};

// A list of TCP ports (target.network): on the wire a strictly ascending array of
// u16, possibly empty. Fixed capacity, so a plan's network policy is a plain value.
constexpr uint32_t kMaxPorts = 64;
struct Ports {
    uint16_t count = 0;
    uint16_t port[kMaxPorts] = {};
    bool operator==(const Ports&) const = default;
    bool empty() const { return count == 0; }
};

template <class T> struct Maybe { // an optional struct
    bool present = false;
    T value{};
};

// One-word names for the field types, so that the schema lists below can be expanded
// in any namespace (the host's TargetSpec is generated from the same list).
using U32 = uint32_t;
using U8 = uint8_t;
using Bool = bool;
using Text = Str;
using Strings = Span<Str>;
using EnvPairs = Span<EnvPair>;
using SlotTable = Span<Slot>; // descriptor_table, an array of slots

// --- the schema lists. One list per struct: X(name, type), in wire order (the order
// is normative: it is the order of the map's keys). A field is optional exactly when
// its type has an absent form (Flag, Maybe, CapabilitySet, MinAbi). The list drives
// the struct below, the decoder (a switch on the enum it generates), the encoder (the
// map size is counted from it), and on the host TargetSpec, its conversions and its
// JSON. A new optional target field is one line here, plus what it means. The body and
// lowering entry lists are upstream's (frozen: no optional field), so only the codec
// expands them; a slot (whose `expected` is a nested map) is written out by hand.
#define BVISOR_ENTRY_FIELDS(X)                                                                     \
    X(id, Text)                                                                                    \
    X(version, U32)                                                                                \
    X(phase_code, U8)                                                                              \
    X(param_digest, Digest)                                                                        \
    X(decl_digest, Digest)

#define BVISOR_BODY_FIELDS(X)                                                                      \
    X(attempt_id, Digest)                                                                          \
    X(plan_id, Digest)                                                                             \
    X(h_a, Digest)                                                                                 \
    X(h_p, Digest)                                                                                 \
    X(h_l, Digest)                                                                                 \
    X(lowering, Lowering)                                                                          \
    X(descriptor_table, SlotTable)                                                                 \
    X(target, Target)

#define BVISOR_SECCOMP_FIELDS(X)                                                                   \
    X(deny_new_tasks, Bool)                                                                        \
    X(deny_inet_sockets, Bool)

// target.network (docs/PROTOCOL.md section 11.4): present means every network access
// is denied but TCP connect and bind to these ports.
#define BVISOR_NETWORK_FIELDS(X)                                                                   \
    X(tcp_connect, Ports)                                                                          \
    X(tcp_bind, Ports)

#define BVISOR_TARGET_FIELDS(X)                                                                    \
    X(argv, Strings)                                                                               \
    X(envp, EnvPairs)                                                                              \
    X(exe_slot, U32)                                                                               \
    X(user_namespace, Flag)                                                                        \
    X(network_namespace, Flag)                                                                     \
    X(seccomp, MaybeSeccomp)                                                                       \
    /* bvisor extensions (docs/PROTOCOL.md section 11.3), each absent by default */                \
    X(keep_capabilities, CapabilitySet)                                                            \
    X(allow_abstract_unix, Flag)                                                                   \
    X(allow_signals, Flag)                                                                         \
    X(landlock_min_abi, MinAbi)                                                                    \
    X(network, MaybeNetwork)

#define BVISOR_SCHEMA_MEMBER(name, type) type name{};

struct LoweringEntry {
    BVISOR_ENTRY_FIELDS(BVISOR_SCHEMA_MEMBER)
};
using Lowering = Span<LoweringEntry>; // LoweringWireV1 { entries }

struct SeccompRequest {
    BVISOR_SECCOMP_FIELDS(BVISOR_SCHEMA_MEMBER)
    bool operator==(const SeccompRequest&) const = default;
};
using MaybeSeccomp = Maybe<SeccompRequest>;

struct NetworkPolicy {
    BVISOR_NETWORK_FIELDS(BVISOR_SCHEMA_MEMBER)
    bool operator==(const NetworkPolicy&) const = default;
};
using MaybeNetwork = Maybe<NetworkPolicy>;

struct Target {
    BVISOR_TARGET_FIELDS(BVISOR_SCHEMA_MEMBER)
};

struct Plan { // LinuxLaunchBodyV1
    BVISOR_BODY_FIELDS(BVISOR_SCHEMA_MEMBER)
};

// Where the decoder keeps the sequences it decodes. ~3 MiB: static in the launcher,
// heap-allocated by the host.
struct PlanStorage {
    LoweringEntry lowering[kMaxLoweringEntries];
    Slot slots[kMaxSlots];
    Str argv[kMaxStrings];
    EnvPair envp[kMaxStrings];
};

// A decoded body: the plan, plus where its `lowering` value lies in the body (so h_l
// can be checked against the exact bytes).
struct DecodedPlan {
    Plan plan;
    size_t lowering_offset = 0;
    size_t lowering_len = 0;
};

// --- frame
// Checks, in order: FrameTruncated, BadMagic, UnsupportedVersion, LengthMismatch,
// DigestMismatch. On success *ret_body is the body inside `frame`.
Status open_frame(Bytes frame, Bytes* ret_body);
// Writes the 46-byte header for `body` (BodyTooLarge over u32 max).
Status write_frame_header(Bytes body, uint8_t header[kFrameHeaderBytes]);

// --- decode (strict canonical). The sub-decoders exist for the reference vectors.
Status decode_body(Bytes body, PlanStorage* storage, DecodedPlan* ret);
Status decode_lowering(Bytes bytes, PlanStorage* storage, Span<LoweringEntry>* ret);
Status decode_target(Bytes bytes, PlanStorage* storage, Target* ret);
Status decode_slot(Bytes bytes, Slot* ret);

// --- encode: returns the encoded size; writes when `out` is non-null and `cap` is
// enough (otherwise *ret_status is BufferTooSmall, and the size is still returned).
size_t encode_body(const Plan& plan, uint8_t* out, size_t cap, Status* ret_status);
size_t encode_lowering(Span<LoweringEntry> lowering, uint8_t* out, size_t cap, Status* ret_status);
size_t encode_target(const Target& target, uint8_t* out, size_t cap, Status* ret_status);
size_t encode_slot(const Slot& slot, uint8_t* out, size_t cap, Status* ret_status);

// h_l: BLAKE3 of the canonical encoding of the lowering (no buffer needed).
Digest lowering_digest(Span<LoweringEntry> lowering);

} // namespace bvisor::codec
