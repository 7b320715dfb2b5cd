// codec/error.h: the codec's one closed error vocabulary, and the status it travels in.
//
// Every failure the codec can report is one `Error` value; `describe()` gives each a
// fixed human-readable sentence. A `Status` adds where it applies (byte offset, field
// path, array index) and one auxiliary number (a found version, a count, a slot index).
// The first error wins: readers and checks stop at it and never overwrite it.
//
// The list is part of the API: values are only ever appended before `Count`.
#pragma once

#include "base.h"

namespace bvisor::codec {

enum class Error : uint8_t {
    Ok = 0,

    // --- the frame (PROTOCOL.md section 2), in the order the reader checks them
    FrameTruncated,     // shorter than the 46-byte header
    BadMagic,           // bytes 0..8 are not "BVZLNCH1"
    UnsupportedVersion, // version field is not 1 (aux = found)
    LengthMismatch,     // total length is not 46 + body_len (aux = body_len)
    DigestMismatch,     // BLAKE3(body) differs from bytes 14..46
    BodyTooLarge,       // writer: a body over u32 max cannot be framed
    PlanTooLarge,       // a plan over the 4 MiB cap (aux = cap)

    // --- MessagePack form (PROTOCOL.md section 3: decoding is strictly canonical)
    Truncated,          // the body ends inside a value
    TrailingBytes,      // bytes after the body's top-level value
    WrongType,          // a value of the wrong MessagePack type (lead = found byte)
    NonCanonicalHeader, // a longer header than the value needs (int, str, array, map)
    IntegerOutOfRange,  // an integer too big for its field (aux = value)
    InvalidUtf8,        // a string that is not valid UTF-8
    NilOptional,        // nil written for an optional field (absent is the only None)
    DepthExceeded,      // nesting deeper than kMaxDepth
    BadDigestLength,    // a digest array whose length is not 32 (aux = length)
    BadPairLength,      // an envp pair array whose length is not 2 (aux = length)

    // --- schema (field names and enum variants)
    UnknownKey,     // a map key that is not a field of this struct
    MissingKey,     // a required field is absent (field = it)
    DuplicateKey,   // a field written twice
    KeyOrder,       // fields not in declaration order
    UnknownVariant, // an enum string that is not a variant name

    // --- limits (PROTOCOL.md section 3)
    TooManySlots,   // descriptor_table over kMaxSlots (aux = count)
    TooManyEntries, // lowering over kMaxLoweringEntries (aux = count)
    TooManyStrings, // argv + envp over kMaxStrings (aux = count)
    StringTooLong,  // a string over kMaxStringBytes (aux = length)

    // --- writer
    BufferTooSmall, // the caller's buffer is smaller than the encoding

    // --- plan meaning, PROTOCOL.md section 7 checks 3..8
    DuplicateSlotIndex,         // check 3 (aux = slot_index)
    DuplicateSingletonRole,     // check 3 (aux = role)
    SlotIndexTooLarge,          // check 3: above 2147483647 (aux = slot_index)
    SlotIsControlFd,            // check 3 (aux = slot_index)
    SlotIsPlanFd,               // check 3 (aux = slot_index)
    SlotKindMismatch,           // check 3: the role requires another kind
    StdioFdNotStdioRole,        // check 3: fds 0..2 are for Stdin/Stdout/Stderr only
    UnknownPrimitive,           // check 4: (id, phase_code) is no known primitive
    NoExecEntry,                // check 4
    NoScrubEntry,               // check 5
    SeccompWithoutRequest,      // check 6: seccomp entry, target.seccomp absent
    SeccompDeniesNothing,       // check 6: target.seccomp denies nothing
    SeccompRequestWithoutEntry, // check 7
    RootsWithoutLandlock,       // check 7
    LandlockWithoutRoots,       // check 7
    EmptyArgv,                  // check 8
    NulInArgv,                  // check 8 (index = argv position)
    NulInEnv,                   // check 8 (index = envp position)
    BadEnvName,                 // check 8: empty, or contains '=' (index = envp position)
    NetnsWithoutUserns,         // check 8
    NoTargetExeSlot,            // check 8: exe_slot names no TargetExe slot (aux = exe_slot)

    // --- bvisor extensions (docs/PROTOCOL.md section 11)
    EmptyCapabilities,              // keep_capabilities is an empty array
    CapabilityOrder,                // keep_capabilities not strictly ascending (aux = cap)
    LandlockMinAbiTooLow,           // landlock_min_abi below 2 (aux = value)
    RelaxationWithoutLandlock,      // check 7: allow_* without a landlock entry
    CapabilitiesWithoutConfinement, // check 7: keep_capabilities, nothing confines
    LandlockMinAbiWithoutLandlock,  // check 7: landlock_min_abi without a landlock entry
    PortOrder,                      // network ports not strictly ascending (aux = port)
    TooManyPorts,                   // a network port list over kMaxPorts (aux = count)
    NetworkWithoutPolicy,           // check 7: a network entry, target.network absent
    NetworkPolicyWithoutEntry,      // check 7: target.network without a network entry

    Count
};

// One fixed sentence per value (never null).
const char* describe(Error e);

// The enum name of `e` (e.g. "BadMagic"), for tests and machine-readable output.
const char* error_name(Error e);

constexpr size_t kWhereMax = 96;

struct Status {
    Error code = Error::Ok;
    uint32_t offset = 0; // byte offset where it applies (in the body or frame)
    bool has_offset = false;
    uint64_t aux = 0;               // see the Error comments
    uint64_t aux2 = 0;              // a second number (LengthMismatch: the total length)
    int32_t index = -1;             // array element, when it applies
    uint8_t lead = 0;               // the lead byte found, for WrongType
    const char* expected = nullptr; // what was expected (a type, a key name)
    Str subject;                    // plan text it is about (a key, an id), escaped when printed
    char where[kWhereMax] = {};     // field path, e.g. "descriptor_table[2].role"

    bool ok() const { return code == Error::Ok; }
};

// The MessagePack type a lead byte starts ("map", "bin", "nil", ...).
const char* msgpack_type_name(uint8_t lead);

class TextBuf;
// One line (no newline) saying what was wrong and where: the sentence, then the
// facts that apply, e.g. `non-canonical (non-minimal) header at byte 57 in
// descriptor_table[0].slot_index`. Plan text is escaped (text.h).
void format_status(const Status& st, TextBuf& out);

} // namespace bvisor::codec
