// tests/fuzz/decode_target.cpp: see decode_target.hpp.
#include "decode_target.hpp"

#include "codec/blake3.h"
#include "codec/checks.h"
#include "codec/plan.h"
#include "codec/text.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace bvisor::fuzz {

namespace {

using namespace bvisor::codec;

[[noreturn]] void property_failed() { std::abort(); }

void check_body(Bytes body) {
    static std::unique_ptr<PlanStorage> storage = std::make_unique<PlanStorage>();
    DecodedPlan d;
    Status st = decode_body(body, storage.get(), &d);
    char line[512];
    TextBuf text(line, sizeof line);
    format_status(st, text); // every status must format without overflow or crash
    if (!st.ok()) {
        if (st.has_offset && st.offset > body.len) property_failed();
        return;
    }
    // Canonical: re-encoding gives back exactly the input bytes.
    std::vector<uint8_t> again(body.len);
    Status est;
    size_t n = encode_body(d.plan, again.data(), again.size(), &est);
    if (!est.ok() || n != body.len || std::memcmp(again.data(), body.ptr, n) != 0)
        property_failed();
    // The lowering span is exactly the canonical lowering encoding.
    if (!digest_eq(lowering_digest(d.plan.lowering),
                   Blake3::hash(body.ptr + d.lowering_offset, d.lowering_len)))
        property_failed();
    Refusal r;
    if (!check_plan(d.plan, 11, 13, &r)) {
        TextBuf t2(line, sizeof line);
        format_status(r.status, t2);
    }
}

} // namespace

void decode_one(const uint8_t* data, size_t size) {
    Bytes input{data, size};
    Bytes body;
    if (open_frame(input, &body).ok()) check_body(body);
    check_body(input);
}

} // namespace bvisor::fuzz
