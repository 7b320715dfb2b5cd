// codec/text.cpp: see text.h.
#include "text.h"

namespace bvisor::codec {

TextBuf& TextBuf::append_char(char c) {
    if (cap_ == 0 || len_ + 1 >= cap_) {
        truncated_ = true;
        return *this;
    }
    buf_[len_++] = c;
    buf_[len_] = '\0';
    return *this;
}

TextBuf& TextBuf::append(const char* s) {
    while (*s)
        append_char(*s++);
    return *this;
}

TextBuf& TextBuf::append(Str s) {
    for (uint32_t i = 0; i < s.len; ++i)
        append_char(s.ptr[i]);
    return *this;
}

TextBuf& TextBuf::append_u64(uint64_t v) {
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        append_char(tmp[--n]);
    return *this;
}

TextBuf& TextBuf::append_i64(int64_t v) {
    if (v < 0) {
        append_char('-');
        return append_u64(0 - static_cast<uint64_t>(v));
    }
    return append_u64(static_cast<uint64_t>(v));
}

TextBuf& TextBuf::append_hex(uint64_t v) {
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        append_char(tmp[--n]);
    return *this;
}

TextBuf& TextBuf::append_hex_bytes(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        append_char("0123456789abcdef"[p[i] >> 4]);
        append_char("0123456789abcdef"[p[i] & 15]);
    }
    return *this;
}

namespace {
// Length of the UTF-8 sequence a lead byte starts (1 for anything else, so invalid
// input still makes progress one byte at a time).
uint32_t utf8_seq_len(uint8_t b) {
    if (b >= 0xF0 && b <= 0xF4) return 4;
    if (b >= 0xE0) return b <= 0xEF ? 3 : 1;
    if (b >= 0xC2) return 2;
    return 1;
}
} // namespace

TextBuf& TextBuf::append_plan_text(Str s, size_t max) {
    size_t used = 0;
    uint32_t i = 0;
    while (i < s.len) {
        uint8_t b = static_cast<uint8_t>(s.ptr[i]);
        if (b < 0x20 || b == 0x7f) {
            if (used + 4 > max) break;
            append_char('\\').append_char('x');
            append_char("0123456789abcdef"[b >> 4]).append_char("0123456789abcdef"[b & 15]);
            used += 4;
            ++i;
            continue;
        }
        uint32_t n = utf8_seq_len(b);
        if (n > s.len - i) n = s.len - i;
        if (used + n > max) break;
        for (uint32_t k = 0; k < n; ++k)
            append_char(s.ptr[i + k]);
        used += n;
        i += n;
    }
    return *this;
}

} // namespace bvisor::codec
