// tests/fuzz/transcript_target.hpp: the transcript parser fuzz target, shared by the
// libFuzzer and AFL++ harnesses and by the corpus replay test in `ninja check`.
// It is not a spec check of what a launcher may write (the parser is lenient by
// design); it checks what the parser promises about any text at all.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bvisor::fuzz {

// Parses `data` with bvisor::parse_transcript and bvisor::transcript_confinement_unavailable
// and checks, against a small independent re-derivation, that: every non-empty line
// is classified exactly once (as a state, a note or an unknown line), in order;
// `terminal` is the first terminal state; every parsed field comes from a note that
// carries it; parsing is deterministic and splits at line boundaries; and the
// "kernel lacks it" rule means what transcript.hpp says. Aborts if a property fails.
// No I/O and no state between calls.
void transcript_one(const uint8_t* data, size_t size);

} // namespace bvisor::fuzz
