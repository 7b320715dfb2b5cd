// codec/blake3.h: BLAKE3-256 (plain hash mode only), portable C++.
//
// Written from the BLAKE3 specification (Aumasson, Neves, O'Connor, Wilcox-O'Hearn):
// 1 KiB chunks of 64-byte blocks, a binary tree of chaining values, 7-round
// compression. No SIMD, no keyed or derive-key modes, no extendable output: the plan
// frame needs exactly the 32-byte plain hash. No heap: the hasher is ~1.8 KiB.
#pragma once

#include "base.h"

namespace bvisor::codec {

class Blake3 {
public:
    Blake3();
    void update(const uint8_t* data, size_t len);
    // Does not modify the state; may be called again after more updates.
    Digest finalize() const;

    static Digest hash(const uint8_t* data, size_t len) {
        Blake3 h;
        h.update(data, len);
        return h.finalize();
    }

private:
    struct ChunkState {
        uint32_t cv[8];
        uint64_t counter;
        uint8_t block[64];
        uint8_t block_len;
        uint8_t blocks_compressed;
        uint32_t flags;
        size_t len() const { return 64u * blocks_compressed + block_len; }
    };

    void reset_chunk(uint64_t counter);
    void chunk_update(const uint8_t* data, size_t len);
    void push_chunk_cv(const uint32_t cv[8], uint64_t total_chunks);

    ChunkState chunk_;
    // One chaining value per tree level: 54 levels cover 2^64 bytes.
    uint32_t cv_stack_[54][8];
    uint8_t cv_stack_len_ = 0;
};

} // namespace bvisor::codec
