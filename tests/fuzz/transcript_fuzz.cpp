// libFuzzer entry point for the transcript parser (build: `ninja fuzz`;
// run: build/fuzz/transcript_fuzz tests/fuzz/corpus/transcript).
#include "transcript_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    bvisor::fuzz::transcript_one(data, size);
    return 0;
}
