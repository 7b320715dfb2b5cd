// codec/error.cpp: the sentences and names of the error vocabulary (see error.h).
#include "error.h"

#include "plan.h"
#include "protocol.h"
#include "text.h"

namespace bvisor::codec {

namespace {

struct ErrorText {
    const char* name;
    const char* sentence;
};

// Indexed by Error; the static_assert below keeps it complete.
constexpr ErrorText kErrorText[] = {
    {"Ok", "no error"},
    {"FrameTruncated", "frame shorter than the 46-byte header"},
    {"BadMagic", "bad magic: frame does not start with BVZLNCH1"},
    {"UnsupportedVersion", "unsupported protocol version"},
    {"LengthMismatch", "frame length does not match 46 + body_len"},
    {"DigestMismatch", "BLAKE3 digest of the body does not match the frame header"},
    {"BodyTooLarge", "body too large to frame (over 4294967295 bytes)"},
    {"PlanTooLarge", "plan larger than the cap"},
    {"Truncated", "body ends inside a value"},
    {"TrailingBytes", "trailing bytes after the body"},
    {"WrongType", "wrong MessagePack type"},
    {"NonCanonicalHeader", "non-canonical (non-minimal) header"},
    {"IntegerOutOfRange", "integer out of range for its field"},
    {"InvalidUtf8", "string is not valid UTF-8"},
    {"NilOptional", "nil for an optional field (None must be absent)"},
    {"DepthExceeded", "nesting too deep"},
    {"BadDigestLength", "digest is not an array of 32 integers"},
    {"BadPairLength", "expected [name, value]: an envp pair is a 2-element array"},
    {"UnknownKey", "unknown key"},
    {"MissingKey", "missing key"},
    {"DuplicateKey", "duplicate key"},
    {"KeyOrder", "keys out of declaration order"},
    {"UnknownVariant", "unknown enum variant"},
    {"TooManySlots", "too many descriptor slots"},
    {"TooManyEntries", "too many lowering entries"},
    {"TooManyStrings", "too many argv + envp strings"},
    {"StringTooLong", "string too long"},
    {"BufferTooSmall", "output buffer too small"},
    {"DuplicateSlotIndex", "duplicate slot_index"},
    {"DuplicateSingletonRole", "second slot of a singleton role"},
    {"SlotIndexTooLarge", "slot_index above 2147483647"},
    {"SlotIsControlFd", "slot_index is the control channel fd"},
    {"SlotIsPlanFd", "slot_index is the plan fd"},
    {"SlotKindMismatch", "slot kind not allowed for its role"},
    {"StdioFdNotStdioRole", "fds 0-2 may only be Stdin/Stdout/Stderr slots"},
    {"UnknownPrimitive", "unknown lowering primitive"},
    {"NoExecEntry", "no exec entry (linux.exec.v1) in the lowering"},
    {"NoScrubEntry", "no scrub entry (linux.ambient.scrub.v1) in the lowering"},
    {"SeccompWithoutRequest", "seccomp entry scheduled but target.seccomp is absent"},
    {"SeccompDeniesNothing", "seccomp entry scheduled but target.seccomp denies nothing"},
    {"SeccompRequestWithoutEntry", "target.seccomp present but no seccomp entry scheduled"},
    {"RootsWithoutLandlock", "ReadRoot/WriteRoot slots declared but no landlock entry"},
    {"LandlockWithoutRoots", "landlock entry scheduled but no ReadRoot/WriteRoot slot"},
    {"EmptyArgv", "target.argv is empty"},
    {"NulInArgv", "NUL byte in target.argv"},
    {"NulInEnv", "NUL byte in target.envp"},
    {"BadEnvName", "bad environment name (empty or containing '=')"},
    {"NetnsWithoutUserns", "network_namespace requires user_namespace"},
    {"NoTargetExeSlot", "target.exe_slot is not the TargetExe slot"},
    {"EmptyCapabilities", "keep_capabilities is empty (absent is the only encoding of none)"},
    {"CapabilityOrder", "keep_capabilities is not strictly ascending"},
    {"LandlockMinAbiTooLow",
     "landlock_min_abi must be 2 or more (absent is the only encoding of no minimum)"},
    {"RelaxationWithoutLandlock",
     "allow_abstract_unix or allow_signals relaxes Landlock, but no landlock entry is scheduled"},
    {"CapabilitiesWithoutConfinement",
     "keep_capabilities relaxes hardening, but nothing confines (no landlock, seccomp or "
     "hardening entry)"},
    {"LandlockMinAbiWithoutLandlock", "landlock_min_abi set but no landlock entry is scheduled"},
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

void format_status(const Status& st, TextBuf& out) {
    out.append(describe(st.code));
    bool said_subject = false; // subject and expected already worked into the text
    auto quoted = [&](Str text) { out.append(" \"").append_plan_text(text).append("\""); };
    switch (st.code) {
    case Error::UnsupportedVersion:
        out.append(" ").append_u64(st.aux).append(" (expected 1)");
        break;
    case Error::LengthMismatch:
        out.append(": length ").append_u64(st.aux2).append(", body_len ").append_u64(st.aux);
        break;
    case Error::FrameTruncated:
        out.append(" (").append_u64(st.aux).append(" bytes)");
        break;
    case Error::PlanTooLarge:
        out.append(" of ").append_u64(kMaxPlanBytes).append(" bytes");
        break;
    case Error::IntegerOutOfRange:
    case Error::TooManySlots:
    case Error::TooManyEntries:
    case Error::TooManyStrings:
        out.append(" (").append_u64(st.aux).append(")");
        break;
    case Error::BadDigestLength:
    case Error::BadPairLength:
        out.append(" (length ").append_u64(st.aux).append(")");
        break;
    case Error::StringTooLong:
        out.append(" (").append_u64(st.aux).append(" bytes)");
        break;
    case Error::DuplicateSlotIndex:
    case Error::SlotIndexTooLarge:
    case Error::SlotIsControlFd:
    case Error::SlotIsPlanFd:
        out.append(" ").append_u64(st.aux);
        break;
    case Error::NoTargetExeSlot:
        out.append(" (exe_slot ").append_u64(st.aux).append(")");
        break;
    case Error::DuplicateSingletonRole:
        out.append(" ").append(role_name(static_cast<Role>(st.aux)));
        break;
    case Error::SlotKindMismatch:
    case Error::StdioFdNotStdioRole:
        out.append(": slot ").append_u64(st.aux).append(" is ");
        out.append(role_name(static_cast<Role>(st.aux2 >> 8)));
        if (st.code == Error::SlotKindMismatch) {
            out.append(" declared ").append(kind_name(static_cast<Kind>(st.aux2 & 0xff)));
            if (st.expected) out.append(", needs ").append(st.expected);
        }
        said_subject = true;
        break;
    case Error::MissingKey:
        if (st.expected) out.append(" \"").append(st.expected).append("\"");
        if (st.subject.ptr) out.append(", found"), quoted(st.subject);
        said_subject = true;
        break;
    case Error::KeyOrder:
        if (st.subject.ptr) quoted(st.subject);
        if (st.expected) out.append(" before \"").append(st.expected).append("\"");
        said_subject = true;
        break;
    case Error::UnknownVariant:
        if (st.expected) out.append(" of ").append(st.expected);
        if (st.subject.ptr) quoted(st.subject);
        said_subject = true;
        break;
    case Error::UnknownPrimitive:
        if (st.subject.ptr) quoted(st.subject);
        out.append(" with phase_code ").append_u64(st.aux);
        said_subject = true;
        break;
    case Error::WrongType:
        if (st.expected)
            out.append(": expected ").append(st.expected).append(", found ");
        else
            out.append(": found ");
        out.append(msgpack_type_name(st.lead));
        said_subject = true;
        break;
    // No facts of their own: the sentence, then subject and expected below.
    case Error::Ok:
    case Error::BadMagic:
    case Error::DigestMismatch:
    case Error::BodyTooLarge:
    case Error::Truncated:
    case Error::TrailingBytes:
    case Error::NonCanonicalHeader:
    case Error::InvalidUtf8:
    case Error::NilOptional:
    case Error::DepthExceeded:
    case Error::UnknownKey:
    case Error::DuplicateKey:
    case Error::BufferTooSmall:
    case Error::NoExecEntry:
    case Error::NoScrubEntry:
    case Error::SeccompWithoutRequest:
    case Error::SeccompDeniesNothing:
    case Error::SeccompRequestWithoutEntry:
    case Error::RootsWithoutLandlock:
    case Error::LandlockWithoutRoots:
    case Error::EmptyArgv:
    case Error::NulInArgv:
    case Error::NulInEnv:
    case Error::BadEnvName:
    case Error::NetnsWithoutUserns:
    case Error::EmptyCapabilities:
    case Error::CapabilityOrder:
    case Error::LandlockMinAbiTooLow:
    case Error::RelaxationWithoutLandlock:
    case Error::CapabilitiesWithoutConfinement:
    case Error::LandlockMinAbiWithoutLandlock:
    case Error::Count:
        break;
    }
    if (!said_subject) {
        if (st.subject.ptr) quoted(st.subject);
        if (st.expected) out.append(" (").append(st.expected).append(")");
    }
    if (st.has_offset) out.append(" at byte ").append_u64(st.offset);
    if (st.where[0]) out.append(" in ").append(st.where);
}

} // namespace bvisor::codec
