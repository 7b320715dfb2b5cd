// codec/text.h: bounded text building without a heap, for transcript lines and
// error messages on both sides.
//
// Appends never overflow: text past the capacity is dropped and `truncated()` says so.
// `append_plan_text` is the one way plan-derived text reaches a line: bytes < 0x20 and
// 0x7f become \xNN and the result is cut at 200 bytes (PROTOCOL.md section 9), so a
// plan can never forge a transcript line.
#pragma once

#include "base.h"

namespace bvisor::codec {

constexpr size_t kPlanTextMax = 200;

class TextBuf {
public:
    TextBuf(char* buf, size_t cap) : buf_(buf), cap_(cap) {
        if (cap_) buf_[0] = '\0';
    }

    TextBuf& append(const char* s);
    TextBuf& append(Str s);
    TextBuf& append_char(char c);
    TextBuf& append_u64(uint64_t v);
    TextBuf& append_i64(int64_t v);
    TextBuf& append_hex(uint64_t v); // lowercase, no prefix
    TextBuf& append_hex_bytes(const uint8_t* p, size_t n);
    // Escapes bytes < 0x20 and 0x7f as \xNN; stops before exceeding `max` output bytes
    // and never splits an escape or a UTF-8 sequence.
    TextBuf& append_plan_text(Str s, size_t max = kPlanTextMax);

    const char* c_str() const { return cap_ ? buf_ : ""; }
    size_t size() const { return len_; }
    bool truncated() const { return truncated_; }

private:
    char* buf_;
    size_t cap_;
    size_t len_ = 0;
    bool truncated_ = false;
};

template <size_t N> class FixedText : public TextBuf {
public:
    FixedText() : TextBuf(storage_, N) {}

private:
    char storage_[N];
};

} // namespace bvisor::codec
