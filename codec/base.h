// codec/base.h: the few vocabulary types the freestanding codec is built from.
//
// The codec is compiled twice: into the static launcher (musl, no libstdc++) and into
// the host library (glibc). So it uses only <stddef.h>, <stdint.h> and compiler
// builtins: no standard library types, no heap, no exceptions.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bvisor::codec {

// A read-only view of `len` elements. Does not own anything.
template <class T> struct Span {
    const T* ptr = nullptr;
    size_t len = 0;

    constexpr const T& operator[](size_t i) const { return ptr[i]; }
    constexpr const T* begin() const { return ptr; }
    constexpr const T* end() const { return ptr + len; }
    constexpr size_t size() const { return len; }
    constexpr bool empty() const { return len == 0; }
};

using Bytes = Span<uint8_t>;

// A UTF-8 string view into someone else's bytes; not NUL-terminated.
struct Str {
    const char* ptr = nullptr;
    uint32_t len = 0;
};

constexpr size_t cstr_len(const char* s) {
    size_t n = 0;
    while (s[n])
        ++n;
    return n;
}

inline Str str_of(const char* s) { return Str{s, static_cast<uint32_t>(cstr_len(s))}; }

inline bool str_eq(Str a, Str b) {
    return a.len == b.len && (a.len == 0 || __builtin_memcmp(a.ptr, b.ptr, a.len) == 0);
}
inline bool str_eq(Str a, const char* b) { return str_eq(a, str_of(b)); }

constexpr size_t kDigestBytes = 32;

// A 32-byte digest (BLAKE3-256, or an id carried in the same shape).
struct Digest {
    uint8_t bytes[kDigestBytes] = {};
};

inline bool digest_eq(const Digest& a, const Digest& b) {
    return __builtin_memcmp(a.bytes, b.bytes, kDigestBytes) == 0;
}

inline void copy_bytes(void* dst, const void* src, size_t n) {
    if (n) __builtin_memcpy(dst, src, n);
}

} // namespace bvisor::codec
