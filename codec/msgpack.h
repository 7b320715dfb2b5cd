// codec/msgpack.h: canonical MessagePack, the subset the plan uses (PROTOCOL.md
// section 3): unsigned integers, bools, UTF-8 strings, arrays, maps.
//
// Writer: every value in its smallest form, exactly as rmp_serde writes it. It writes
// into a caller's buffer, or only counts (size first, then write), or feeds a BLAKE3
// hasher (h_l without a buffer). Overflowing the buffer is a sticky BufferTooSmall.
//
// Reader: a bounds-checked cursor over the input with a sticky first error. Every
// header must be the minimal one; strings must be UTF-8; nesting at most kMaxDepth. The reader
// never allocates and never reads out of bounds; after the first error every call fails without
// reading. It knows nothing about the schema: plan.cpp drives it field by field.
#pragma once

#include "base.h"
#include "error.h"

namespace bvisor::codec {

class Blake3;

constexpr uint32_t kMaxDepth = 8;            // the schema nests 4 deep
constexpr uint32_t kMaxStringBytes = 131072; // PROTOCOL.md section 3: each argv / envp string

class Writer {
public:
    Writer() = default; // count only
    Writer(uint8_t* buf, size_t cap) : buf_(buf), cap_(cap) {}
    explicit Writer(Blake3* hasher) : hasher_(hasher) {}

    void uint(uint64_t v);
    void boolean(bool v);
    void str(Str s);
    void str(const char* s) { str(str_of(s)); }
    void array_header(uint32_t n);
    void map_header(uint32_t n);
    // A digest is an array of 32 integers, never bin (rmp_serde's [u8; 32]).
    void digest(const Digest& d);

    size_t size() const { return pos_; }
    bool ok() const { return !overflow_; }

private:
    void put(const uint8_t* p, size_t n);
    void put1(uint8_t b) { put(&b, 1); }
    void put_be(uint64_t v, int bytes);

    uint8_t* buf_ = nullptr;
    size_t cap_ = 0;
    Blake3* hasher_ = nullptr;
    size_t pos_ = 0;
    bool overflow_ = false;
};

// The field path the reader reports errors against, e.g. "descriptor_table[2].role".
struct PathElem {
    const char* name;
    int32_t index; // -1: not an array element
};

class Reader {
public:
    explicit Reader(Bytes in) : in_(in) {}

    bool ok() const { return st_.ok(); }
    const Status& status() const { return st_; }
    size_t pos() const { return pos_; }
    size_t remaining() const { return in_.len - pos_; }
    // The lead byte at the cursor, or -1 at the end (or after an error).
    int peek() const { return ok() && pos_ < in_.len ? in_.ptr[pos_] : -1; }

    // Each returns false on failure, after recording the first error.
    bool map_header(uint32_t* ret_n);
    bool array_header(uint32_t* ret_n);
    // `max_len`: strings longer than this are refused (StringTooLong) before they are read.
    bool str(Str* ret, uint64_t max_len = 0xffffffffULL);
    bool uint(uint64_t max, uint64_t* ret);
    bool boolean(bool* ret);
    bool digest(Digest* ret);

    // Skips one value of any MessagePack type (used only to look ahead when reporting
    // an error); containers count against kMaxDepth.
    bool skip_value();

    // Containers count against kMaxDepth between enter() and leave().
    bool enter();
    void leave() { --depth_; }

    // Field-path bookkeeping for error messages (a fixed-size stack; deeper levels are
    // simply not named).
    void push(const char* name, int32_t index = -1);
    void pop() { --path_len_; }
    void set_index(int32_t index) {
        if (path_len_ > 0 && path_len_ <= kPathMax) path_[path_len_ - 1].index = index;
    }

    // Records `code` at byte `at` unless an error is already recorded. Returns false.
    bool fail(Error code, size_t at, uint64_t aux = 0, const char* expected = nullptr);
    bool fail_subject(Error code, size_t at, Str subject, const char* expected = nullptr);
    bool fail_wrong_type(size_t at, const char* expected);

private:
    static constexpr uint32_t kPathMax = 6;
    bool container_header(uint8_t fix, uint8_t form16, const char* what, uint32_t* ret_n);
    bool need(size_t n, size_t at);
    uint64_t be(size_t at, int bytes) const;
    void fill_where();

    Bytes in_;
    size_t pos_ = 0;
    uint32_t depth_ = 0;
    Status st_;
    PathElem path_[kPathMax] = {};
    uint32_t path_len_ = 0;
};

// Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(const uint8_t* p, size_t n);

} // namespace bvisor::codec
