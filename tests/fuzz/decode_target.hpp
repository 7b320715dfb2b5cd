// tests/fuzz/decode_target.hpp: the frame + body decode fuzz target, shared by the
// libFuzzer and AFL++ harnesses and by the corpus replay test in `ninja check`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bvisor::fuzz {

// Decodes `data` as a frame and as a bare body. Whenever a body decodes, checks the
// round-trip property (canonical decoding means encode(decode(x)) == x, and decoding
// that again gives the same plan) and the pure checks; aborts if the property fails.
// No I/O and no state between calls.
void decode_one(const uint8_t* data, size_t size);

} // namespace bvisor::fuzz
