// libFuzzer entry point for frame + body decoding (build: `ninja fuzz`;
// run: build/fuzz/decode_fuzz tests/fuzz/corpus/decode).
#include "decode_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    bvisor::fuzz::decode_one(data, size);
    return 0;
}
