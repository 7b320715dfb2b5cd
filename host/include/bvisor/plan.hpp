// bvisor/plan.hpp: the v1 launch plan as ordinary C++ values, encoded and decoded
// through the freestanding codec (codec/plan.h): one encoder and one decoder for the
// launcher and the host.
//
// Errors: malformed bytes throw bvisor::CodecError, which carries the codec's Status
// (error code, byte offset, field path).
#pragma once

#include "error.hpp"

#include "codec/checks.h"
#include "codec/plan.h"
#include "codec/protocol.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bvisor {

using codec::Kind;
using codec::LauncherState;
using codec::RefusalReason;
using codec::Role;

using Digest = std::array<uint8_t, 32>;
using Bytes = std::vector<uint8_t>;

struct LoweringEntry {
    std::string id;
    uint32_t version = 1;
    uint8_t phase_code = 0;
    Digest param_digest{};
    Digest decl_digest{};

    static LoweringEntry scrub();
    static LoweringEntry landlock();
    static LoweringEntry seccomp();
    static LoweringEntry exec();
    static LoweringEntry hardening(); // extension: hardening required in full
    static LoweringEntry network();   // extension: the network policy of target.network
    bool operator==(const LoweringEntry&) const = default;
};

struct DescriptorSlot {
    uint32_t slot_index = 0;
    Role role = Role::ReadRoot;
    Kind kind = Kind::Directory;
    bool writable = false;
    bool operator==(const DescriptorSlot&) const = default;
};

using SeccompRequest = codec::SeccompRequest;
using NetworkPolicy = codec::NetworkPolicy;
using Ports = codec::Ports;

// The host's value for each field type of a codec schema list (codec/plan.h): what a
// TargetSpec holds where the codec's Target holds a view.
template <class T> struct HostValue {
    using type = T; // U32, Bool, SeccompRequest
};
template <> struct HostValue<codec::Strings> { using type = std::vector<std::string>; };
template <> struct HostValue<codec::EnvPairs> {
    using type = std::vector<std::pair<std::string, std::string>>;
};
template <> struct HostValue<codec::Flag> { using type = bool; };
template <> struct HostValue<codec::CapabilitySet> {
    using type = uint64_t; // bit n = capability n; 0 = absent
};
template <> struct HostValue<codec::MinAbi> {
    using type = uint8_t; // 0 = absent
};
template <class T> struct HostValue<codec::Maybe<T>> {
    using type = std::optional<typename HostValue<T>::type>;
};

// The target, generated from BVISOR_TARGET_FIELDS: one member per field, same name.
struct TargetSpec {
#define BVISOR_HOST_MEMBER(name, Type) HostValue<codec::Type>::type name{};
    BVISOR_TARGET_FIELDS(BVISOR_HOST_MEMBER)
#undef BVISOR_HOST_MEMBER
    bool operator==(const TargetSpec&) const = default;
};

// LinuxLaunchBodyV1.
struct LaunchBody {
    Digest attempt_id{};
    Digest plan_id{};
    Digest h_a{};
    Digest h_p{};
    Digest h_l{};
    std::vector<LoweringEntry> lowering; // LoweringWireV1.entries
    std::vector<DescriptorSlot> descriptor_table;
    TargetSpec target;

    // Sets h_l to the binding of the current lowering (PROTOCOL.md section 4).
    void bind_lowering();
    bool operator==(const LaunchBody&) const = default;
};

class CodecError : public Exception {
public:
    explicit CodecError(const codec::Status& st);
    const codec::Status& status() const { return status_; }

private:
    codec::Status status_;
};

// One line describing a codec status (the codec's own words).
std::string describe(const codec::Status& st);
// The `# detail=` text the launcher would write for a refusal.
std::string describe(const codec::Refusal& r);

Bytes encode_body(const LaunchBody& body);
Bytes encode_lowering(const std::vector<LoweringEntry>& lowering);
Bytes encode_target(const TargetSpec& target);
Bytes encode_slot(const DescriptorSlot& slot);
Digest lowering_digest(const std::vector<LoweringEntry>& lowering);

// frame(body) = 46-byte header + body.
Bytes frame(std::span<const uint8_t> body);
Bytes encode_frame(const LaunchBody& body);

// Throw CodecError on any malformed input (strict canonical decoding and the limits:
// PROTOCOL.md section 3).
std::span<const uint8_t> open_frame(std::span<const uint8_t> frame);
LaunchBody decode_body(std::span<const uint8_t> body);
LaunchBody decode_frame(std::span<const uint8_t> frame);
std::vector<LoweringEntry> decode_lowering(std::span<const uint8_t> bytes);
TargetSpec decode_target(std::span<const uint8_t> bytes);
DescriptorSlot decode_slot(std::span<const uint8_t> bytes);

// The launcher's checks 1..8 of PROTOCOL.md section 7 without any fds: frame,
// canonical body, h_l binding, then the pure checks. nullopt when the plan passes.
struct Verdict {
    RefusalReason reason;
    std::string detail;
};
std::optional<Verdict> verify_frame(std::span<const uint8_t> frame,
                                    int control_fd = codec::kFdUnknown,
                                    int plan_fd = codec::kFdUnknown);

// Hex helpers for digests.
std::string to_hex(std::span<const uint8_t> bytes);
std::optional<Digest> digest_from_hex(std::string_view hex);

} // namespace bvisor
