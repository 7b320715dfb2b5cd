// codec/blake3.cpp: see blake3.h. Structure follows the specification's reference
// description: compress(), a chunk state, and a stack of subtree chaining values
// merged like a binary counter as chunks complete.
#include "blake3.h"

namespace bvisor::codec {

namespace {

constexpr uint32_t kIv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
constexpr uint8_t kMsgPermutation[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};

constexpr uint32_t kChunkStart = 1u << 0;
constexpr uint32_t kChunkEnd = 1u << 1;
constexpr uint32_t kParent = 1u << 2;
constexpr uint32_t kRoot = 1u << 3;

constexpr size_t kBlockLen = 64;
constexpr size_t kChunkLen = 1024;

inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

inline uint32_t load_le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

inline void store_le32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v >> 16);
    p[3] = static_cast<uint8_t>(v >> 24);
}

inline void g(uint32_t s[16], int a, int b, int c, int d, uint32_t mx, uint32_t my) {
    s[a] = s[a] + s[b] + mx;
    s[d] = rotr(s[d] ^ s[a], 16);
    s[c] = s[c] + s[d];
    s[b] = rotr(s[b] ^ s[c], 12);
    s[a] = s[a] + s[b] + my;
    s[d] = rotr(s[d] ^ s[a], 8);
    s[c] = s[c] + s[d];
    s[b] = rotr(s[b] ^ s[c], 7);
}

inline void round_fn(uint32_t s[16], const uint32_t m[16]) {
    // Columns, then diagonals.
    g(s, 0, 4, 8, 12, m[0], m[1]);
    g(s, 1, 5, 9, 13, m[2], m[3]);
    g(s, 2, 6, 10, 14, m[4], m[5]);
    g(s, 3, 7, 11, 15, m[6], m[7]);
    g(s, 0, 5, 10, 15, m[8], m[9]);
    g(s, 1, 6, 11, 12, m[10], m[11]);
    g(s, 2, 7, 8, 13, m[12], m[13]);
    g(s, 3, 4, 9, 14, m[14], m[15]);
}

// The compression function, truncated to the 8 words every caller here needs.
void compress(const uint32_t cv[8], const uint8_t block[kBlockLen], uint64_t counter,
              uint32_t block_len, uint32_t flags, uint32_t out[8]) {
    uint32_t m[16];
    for (int i = 0; i < 16; ++i)
        m[i] = load_le32(block + 4 * i);
    uint32_t s[16] = {cv[0],
                      cv[1],
                      cv[2],
                      cv[3],
                      cv[4],
                      cv[5],
                      cv[6],
                      cv[7],
                      kIv[0],
                      kIv[1],
                      kIv[2],
                      kIv[3],
                      static_cast<uint32_t>(counter),
                      static_cast<uint32_t>(counter >> 32),
                      block_len,
                      flags};
    for (int r = 0; r < 7; ++r) {
        round_fn(s, m);
        if (r == 6) break;
        uint32_t permuted[16];
        for (int i = 0; i < 16; ++i)
            permuted[i] = m[kMsgPermutation[i]];
        for (int i = 0; i < 16; ++i)
            m[i] = permuted[i];
    }
    for (int i = 0; i < 8; ++i)
        out[i] = s[i] ^ s[i + 8];
}

// What a node would output, held back until we know whether it is the root.
struct Output {
    uint32_t cv[8];
    uint8_t block[kBlockLen];
    uint64_t counter;
    uint32_t block_len;
    uint32_t flags;

    void chaining_value(uint32_t out[8]) const {
        compress(cv, block, counter, block_len, flags, out);
    }
};

Output parent_output(const uint32_t left[8], const uint32_t right[8]) {
    Output o;
    for (int i = 0; i < 8; ++i)
        o.cv[i] = kIv[i];
    for (int i = 0; i < 8; ++i)
        store_le32(o.block + 4 * i, left[i]);
    for (int i = 0; i < 8; ++i)
        store_le32(o.block + 32 + 4 * i, right[i]);
    o.counter = 0;
    o.block_len = kBlockLen;
    o.flags = kParent;
    return o;
}

// The output of a chunk's last block (CHUNK_END; CHUNK_START too if it is the first).
template <class Chunk> Output chunk_output(const Chunk& c) {
    Output o;
    for (int i = 0; i < 8; ++i)
        o.cv[i] = c.cv[i];
    copy_bytes(o.block, c.block, kBlockLen);
    o.counter = c.counter;
    o.block_len = c.block_len;
    o.flags = c.flags | (c.blocks_compressed == 0 ? kChunkStart : 0) | kChunkEnd;
    return o;
}

} // namespace

Blake3::Blake3() { reset_chunk(0); }

void Blake3::reset_chunk(uint64_t counter) {
    for (int i = 0; i < 8; ++i)
        chunk_.cv[i] = kIv[i];
    chunk_.counter = counter;
    for (auto& b : chunk_.block)
        b = 0;
    chunk_.block_len = 0;
    chunk_.blocks_compressed = 0;
    chunk_.flags = 0;
}

void Blake3::chunk_update(const uint8_t* data, size_t len) {
    while (len > 0) {
        if (chunk_.block_len == kBlockLen) {
            // A full block that is not the chunk's last: compress it now.
            uint32_t flags = chunk_.flags | (chunk_.blocks_compressed == 0 ? kChunkStart : 0);
            compress(chunk_.cv, chunk_.block, chunk_.counter, kBlockLen, flags, chunk_.cv);
            ++chunk_.blocks_compressed;
            for (auto& b : chunk_.block)
                b = 0;
            chunk_.block_len = 0;
        }
        size_t take = kBlockLen - chunk_.block_len;
        if (take > len) take = len;
        copy_bytes(chunk_.block + chunk_.block_len, data, take);
        chunk_.block_len = static_cast<uint8_t>(chunk_.block_len + take);
        data += take;
        len -= take;
    }
}

void Blake3::push_chunk_cv(const uint32_t cv[8], uint64_t total_chunks) {
    // Merge completed subtrees: one merge per trailing zero bit of the chunk count.
    uint32_t merged[8];
    for (int i = 0; i < 8; ++i)
        merged[i] = cv[i];
    while ((total_chunks & 1) == 0) {
        --cv_stack_len_;
        parent_output(cv_stack_[cv_stack_len_], merged).chaining_value(merged);
        total_chunks >>= 1;
    }
    for (int i = 0; i < 8; ++i)
        cv_stack_[cv_stack_len_][i] = merged[i];
    ++cv_stack_len_;
}

void Blake3::update(const uint8_t* data, size_t len) {
    while (len > 0) {
        if (chunk_.len() == kChunkLen) {
            // The chunk is complete and more input follows, so it is not the root.
            uint32_t cv[8];
            chunk_output(chunk_).chaining_value(cv);
            uint64_t total = chunk_.counter + 1;
            push_chunk_cv(cv, total);
            reset_chunk(total);
        }
        size_t take = kChunkLen - chunk_.len();
        if (take > len) take = len;
        chunk_update(data, take);
        data += take;
        len -= take;
    }
}

Digest Blake3::finalize() const {
    Output o = chunk_output(chunk_);
    for (int remaining = cv_stack_len_; remaining > 0; --remaining) {
        uint32_t right[8];
        o.chaining_value(right);
        o = parent_output(cv_stack_[remaining - 1], right);
    }
    uint32_t words[8];
    compress(o.cv, o.block, o.counter, o.block_len, o.flags | kRoot, words);
    Digest d;
    for (int i = 0; i < 8; ++i)
        store_le32(d.bytes + 4 * i, words[i]);
    return d;
}

} // namespace bvisor::codec
