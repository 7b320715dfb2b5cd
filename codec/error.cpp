// codec/error.cpp: the sentences and names of the error vocabulary (see error.h).
#include "error.h"

#include "plan.h"
#include "protocol.h"
#include "text.h"

namespace bvisor::codec {

namespace {

// The facts a status of each error adds to its sentence (format_status), from its
// aux, aux2, subject and expected fields. Most errors have none of their own.
enum class Facts : uint8_t {
    None,       // the subject (quoted) and expected (in parentheses), when set
    Version,    // " 2 (expected 1)"
    Lengths,    // ": length N, body_len M"
    PlanCap,    // " of 4194304 bytes"
    Count,      // " (N)"
    Length,     // " (length N)"
    Bytes,      // " (N bytes)"
    Number,     // " N"
    ExeSlot,    // " (exe_slot N)"
    Role,       // " Role"
    SlotKind,   // ": slot N is Role declared Kind, needs K"
    SlotRole,   // ": slot N is Role"
    MissingKey, // " \"key\", found \"other\""
    KeyOrder,   // " \"key\" before \"expected\""
    Variant,    // " of Enum \"name\""
    Primitive,  // " \"id\" with phase_code N"
    Type,       // ": expected T, found U"
};
using F = Facts;

struct ErrorText {
    const char* name;
    const char* sentence;
    Facts facts;
};

// Indexed by Error; the static_assert below keeps it complete.
constexpr ErrorText kErrorText[] = {
    {"Ok", "no error", F::None},
    {"FrameTruncated", "frame shorter than the 46-byte header", F::Bytes},
    {"BadMagic", "bad magic: frame does not start with BVZLNCH1", F::None},
    {"UnsupportedVersion", "unsupported protocol version", F::Version},
    {"LengthMismatch", "frame length does not match 46 + body_len", F::Lengths},
    {"DigestMismatch", "BLAKE3 digest of the body does not match the frame header", F::None},
    {"BodyTooLarge", "body too large to frame (over 4294967295 bytes)", F::None},
    {"PlanTooLarge", "plan larger than the cap", F::PlanCap},
    {"Truncated", "body ends inside a value", F::None},
    {"TrailingBytes", "trailing bytes after the body", F::None},
    {"WrongType", "wrong MessagePack type", F::Type},
    {"NonCanonicalHeader", "non-canonical (non-minimal) header", F::None},
    {"IntegerOutOfRange", "integer out of range for its field", F::Count},
    {"InvalidUtf8", "string is not valid UTF-8", F::None},
    {"NilOptional", "nil for an optional field (None must be absent)", F::None},
    {"DepthExceeded", "nesting too deep", F::None},
    {"BadDigestLength", "digest is not an array of 32 integers", F::Length},
    {"BadPairLength", "expected [name, value]: an envp pair is a 2-element array", F::Length},
    {"UnknownKey", "unknown key", F::None},
    {"MissingKey", "missing key", F::MissingKey},
    {"DuplicateKey", "duplicate key", F::None},
    {"KeyOrder", "keys out of declaration order", F::KeyOrder},
    {"UnknownVariant", "unknown enum variant", F::Variant},
    {"TooManySlots", "too many descriptor slots", F::Count},
    {"TooManyEntries", "too many lowering entries", F::Count},
    {"TooManyStrings", "too many argv + envp strings", F::Count},
    {"StringTooLong", "string too long", F::Bytes},
    {"BufferTooSmall", "output buffer too small", F::None},
    {"DuplicateSlotIndex", "duplicate slot_index", F::Number},
    {"DuplicateSingletonRole", "second slot of a singleton role", F::Role},
    {"SlotIndexTooLarge", "slot_index above 2147483647", F::Number},
    {"SlotIsControlFd", "slot_index is the control channel fd", F::Number},
    {"SlotIsPlanFd", "slot_index is the plan fd", F::Number},
    {"SlotKindMismatch", "slot kind not allowed for its role", F::SlotKind},
    {"StdioFdNotStdioRole", "fds 0-2 may only be Stdin/Stdout/Stderr slots", F::SlotRole},
    {"UnknownPrimitive", "unknown lowering primitive", F::Primitive},
    {"NoExecEntry", "no exec entry (linux.exec.v1) in the lowering", F::None},
    {"NoScrubEntry", "no scrub entry (linux.ambient.scrub.v1) in the lowering", F::None},
    {"SeccompWithoutRequest", "seccomp entry scheduled but target.seccomp is absent", F::None},
    {"SeccompDeniesNothing", "seccomp entry scheduled but target.seccomp denies nothing", F::None},
    {"SeccompRequestWithoutEntry", "target.seccomp present but no seccomp entry scheduled",
     F::None},
    {"RootsWithoutLandlock", "ReadRoot/WriteRoot slots declared but no landlock entry", F::None},
    {"LandlockWithoutRoots", "landlock entry scheduled but no ReadRoot/WriteRoot slot", F::None},
    {"EmptyArgv", "target.argv is empty", F::None},
    {"NulInArgv", "NUL byte in target.argv", F::None},
    {"NulInEnv", "NUL byte in target.envp", F::None},
    {"BadEnvName", "bad environment name (empty or containing '=')", F::None},
    {"NetnsWithoutUserns", "network_namespace requires user_namespace", F::None},
    {"NoTargetExeSlot", "target.exe_slot is not the TargetExe slot", F::ExeSlot},
    {"EmptyCapabilities", "keep_capabilities is empty (absent is the only encoding of none)",
     F::None},
    {"CapabilityOrder", "keep_capabilities is not strictly ascending", F::None},
    {"LandlockMinAbiTooLow",
     "landlock_min_abi must be 2 or more (absent is the only encoding of no minimum)", F::None},
    {"RelaxationWithoutLandlock",
     "allow_abstract_unix or allow_signals relaxes Landlock, but no landlock entry is scheduled",
     F::None},
    {"CapabilitiesWithoutConfinement",
     "keep_capabilities relaxes hardening, but nothing confines (no landlock, seccomp or "
     "hardening entry)",
     F::None},
    {"LandlockMinAbiWithoutLandlock", "landlock_min_abi set but no landlock entry is scheduled",
     F::None},
    {"PortOrder", "network ports are not strictly ascending", F::Number},
    {"TooManyPorts", "too many network ports", F::Count},
    {"NetworkWithoutPolicy", "network entry scheduled but target.network is absent", F::None},
    {"NetworkPolicyWithoutEntry", "target.network present but no network entry scheduled", F::None},
};
static_assert(sizeof(kErrorText) / sizeof(kErrorText[0]) == static_cast<size_t>(Error::Count),
              "every Error needs a name and a sentence");

} // namespace

const char* describe(Error e) {
    auto i = static_cast<size_t>(e);
    return i < static_cast<size_t>(Error::Count) ? kErrorText[i].sentence : "unknown error";
}

const char* error_name(Error e) {
    auto i = static_cast<size_t>(e);
    return i < static_cast<size_t>(Error::Count) ? kErrorText[i].name : "Unknown";
}

const char* msgpack_type_name(uint8_t b) {
    if (b <= 0x7f) return "positive fixint";
    if (b <= 0x8f) return "fixmap";
    if (b <= 0x9f) return "fixarray";
    if (b <= 0xbf) return "fixstr";
    if (b >= 0xe0) return "negative fixint";
    switch (b) {
    case 0xc0:
        return "nil";
    case 0xc1:
        return "never-used byte 0xc1";
    case 0xc2:
    case 0xc3:
        return "bool";
    case 0xc4:
    case 0xc5:
    case 0xc6:
        return "bin";
    case 0xc7:
    case 0xc8:
    case 0xc9:
        return "ext";
    case 0xca:
    case 0xcb:
        return "float";
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        return "uint";
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return "int";
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return "fixext";
    case 0xd9:
    case 0xda:
    case 0xdb:
        return "str";
    case 0xdc:
    case 0xdd:
        return "array";
    default:
        return "map"; // 0xde, 0xdf
    }
}

namespace {

// The facts of `st` after its sentence. False when they do not mention the subject and
// expected fields (format_status then adds them).
bool append_facts(const Status& st, Facts facts, TextBuf& out) {
    auto quoted = [&](Str text) { out.append(" \"").append_plan_text(text).append("\""); };
    switch (facts) {
    case Facts::None:
        return false;
    case Facts::Version:
        out.append(" ").append_u64(st.aux).append(" (expected 1)");
        return false;
    case Facts::Lengths:
        out.append(": length ").append_u64(st.aux2).append(", body_len ").append_u64(st.aux);
        return false;
    case Facts::Bytes:
        out.append(" (").append_u64(st.aux).append(" bytes)");
        return false;
    case Facts::PlanCap:
        out.append(" of ").append_u64(kMaxPlanBytes).append(" bytes");
        return false;
    case Facts::Count:
        out.append(" (").append_u64(st.aux).append(")");
        return false;
    case Facts::Length:
        out.append(" (length ").append_u64(st.aux).append(")");
        return false;
    case Facts::Number:
        out.append(" ").append_u64(st.aux);
        return false;
    case Facts::ExeSlot:
        out.append(" (exe_slot ").append_u64(st.aux).append(")");
        return false;
    case Facts::Role:
        out.append(" ").append(role_name(static_cast<Role>(st.aux)));
        return false;
    case Facts::SlotKind:
    case Facts::SlotRole:
        out.append(": slot ").append_u64(st.aux).append(" is ");
        out.append(role_name(static_cast<Role>(st.aux2 >> 8)));
        if (facts == Facts::SlotKind) {
            out.append(" declared ").append(kind_name(static_cast<Kind>(st.aux2 & 0xff)));
            if (st.expected) out.append(", needs ").append(st.expected);
        }
        return true;
    case Facts::MissingKey:
        if (st.expected) out.append(" \"").append(st.expected).append("\"");
        if (st.subject.ptr) out.append(", found"), quoted(st.subject);
        return true;
    case Facts::KeyOrder:
        if (st.subject.ptr) quoted(st.subject);
        if (st.expected) out.append(" before \"").append(st.expected).append("\"");
        return true;
    case Facts::Variant:
        if (st.expected) out.append(" of ").append(st.expected);
        if (st.subject.ptr) quoted(st.subject);
        return true;
    case Facts::Primitive:
        if (st.subject.ptr) quoted(st.subject);
        out.append(" with phase_code ").append_u64(st.aux);
        return true;
    case Facts::Type:
        if (st.expected)
            out.append(": expected ").append(st.expected).append(", found ");
        else
            out.append(": found ");
        out.append(msgpack_type_name(st.lead));
        return true;
    }
    return false;
}

} // namespace

void format_status(const Status& st, TextBuf& out) {
    out.append(describe(st.code));
    auto i = static_cast<size_t>(st.code);
    Facts facts = i < static_cast<size_t>(Error::Count) ? kErrorText[i].facts : Facts::None;
    if (!append_facts(st, facts, out)) {
        if (st.subject.ptr) out.append(" \"").append_plan_text(st.subject).append("\"");
        if (st.expected) out.append(" (").append(st.expected).append(")");
    }
    if (st.has_offset) out.append(" at byte ").append_u64(st.offset);
    if (st.where[0]) out.append(" in ").append(st.where);
}

} // namespace bvisor::codec
