// codec/msgpack.cpp: see msgpack.h. Lead bytes from the MessagePack specification:
// fixint 00-7f, fixmap 80-8f, fixarray 90-9f, fixstr a0-bf, nil c0, false c2, true c3,
// uint8..64 cc-cf, str8/16/32 d9-db, array16/32 dc-dd, map16/32 de-df.
#include "msgpack.h"

#include "blake3.h"
#include "text.h"

namespace bvisor::codec {

// ------------------------------------------------------------------ Writer

void Writer::put(const uint8_t* p, size_t n) {
    if (hasher_) {
        hasher_->update(p, n);
    } else if (buf_) {
        if (overflow_ || n > cap_ - pos_) {
            overflow_ = true;
        } else {
            copy_bytes(buf_ + pos_, p, n);
        }
    }
    pos_ += n;
}

void Writer::put_be(uint64_t v, int bytes) {
    uint8_t tmp[8];
    for (int i = 0; i < bytes; ++i)
        tmp[i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
    put(tmp, static_cast<size_t>(bytes));
}

void Writer::uint(uint64_t v) {
    if (v <= 0x7f) {
        put1(static_cast<uint8_t>(v));
    } else if (v <= 0xff) {
        put1(0xcc);
        put_be(v, 1);
    } else if (v <= 0xffff) {
        put1(0xcd);
        put_be(v, 2);
    } else if (v <= 0xffffffffULL) {
        put1(0xce);
        put_be(v, 4);
    } else {
        put1(0xcf);
        put_be(v, 8);
    }
}

void Writer::boolean(bool v) { put1(v ? 0xc3 : 0xc2); }

void Writer::str(Str s) {
    if (s.len < 32) {
        put1(static_cast<uint8_t>(0xa0 | s.len));
    } else if (s.len <= 0xff) {
        put1(0xd9);
        put_be(s.len, 1);
    } else if (s.len <= 0xffff) {
        put1(0xda);
        put_be(s.len, 2);
    } else {
        put1(0xdb);
        put_be(s.len, 4);
    }
    put(reinterpret_cast<const uint8_t*>(s.ptr), s.len);
}

void Writer::array_header(uint32_t n) {
    if (n < 16) {
        put1(static_cast<uint8_t>(0x90 | n));
    } else if (n <= 0xffff) {
        put1(0xdc);
        put_be(n, 2);
    } else {
        put1(0xdd);
        put_be(n, 4);
    }
}

void Writer::map_header(uint32_t n) {
    if (n < 16) {
        put1(static_cast<uint8_t>(0x80 | n));
    } else if (n <= 0xffff) {
        put1(0xde);
        put_be(n, 2);
    } else {
        put1(0xdf);
        put_be(n, 4);
    }
}

void Writer::digest(const Digest& d) {
    // Always `dc 00 20` (32 does not fit a fixarray), then one integer per byte.
    array_header(static_cast<uint32_t>(kDigestBytes));
    for (uint8_t b : d.bytes)
        uint(b);
}

// ------------------------------------------------------------------ Reader

bool Reader::fail(Error code, size_t at, uint64_t aux, const char* expected) {
    if (!st_.ok()) return false;
    st_.code = code;
    st_.offset = static_cast<uint32_t>(at);
    st_.has_offset = true;
    st_.aux = aux;
    st_.expected = expected;
    fill_where();
    return false;
}

bool Reader::fail_subject(Error code, size_t at, Str subject, const char* expected) {
    if (!st_.ok()) return false;
    fail(code, at, 0, expected);
    st_.subject = subject;
    return false;
}

bool Reader::fail_wrong_type(size_t at, const char* expected) {
    if (!st_.ok()) return false;
    uint8_t lead = at < in_.len ? in_.ptr[at] : 0;
    fail(Error::WrongType, at, 0, expected);
    st_.lead = lead;
    if (lead == 0xc0 && expected == nullptr) st_.expected = "a value";
    return false;
}

void Reader::fill_where() {
    TextBuf t(st_.where, kWhereMax);
    uint32_t n = path_len_ < kPathMax ? path_len_ : kPathMax;
    for (uint32_t i = 0; i < n; ++i) {
        if (i > 0 && path_[i].name) t.append(".");
        if (path_[i].name) t.append(path_[i].name);
        if (path_[i].index >= 0)
            t.append("[").append_u64(static_cast<uint64_t>(path_[i].index)).append("]");
    }
    if (path_len_ == 0) t.append("body");
}

void Reader::push(const char* name, int32_t index) {
    if (path_len_ < kPathMax) path_[path_len_] = PathElem{name, index};
    ++path_len_;
}

bool Reader::need(size_t n, size_t at) {
    if (!ok()) return false;
    if (n > in_.len - pos_) return fail(Error::Truncated, at);
    return true;
}

uint64_t Reader::be(size_t at, int bytes) const {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v = (v << 8) | in_.ptr[at + static_cast<size_t>(i)];
    return v;
}

bool Reader::enter() {
    if (!ok()) return false;
    if (++depth_ > kMaxDepth) return fail(Error::DepthExceeded, pos_, kMaxDepth);
    return true;
}

namespace {
// Header width (bytes after the lead byte) for the 8/16/32-bit forms.
int width_of(uint8_t lead, uint8_t base8) { return lead == base8 ? 1 : lead == base8 + 1 ? 2 : 4; }
} // namespace

// Maps and arrays share one header shape: a fix form (4-bit count) and 16/32-bit forms.
bool Reader::container_header(uint8_t fix, uint8_t form16, const char* what, uint32_t* ret_n) {
    size_t at = pos_;
    if (!need(1, at)) return false;
    uint8_t b = in_.ptr[pos_];
    if (b >= fix && b <= fix + 0x0f) {
        ++pos_;
        *ret_n = b & 0x0f;
        return true;
    }
    if (b != form16 && b != form16 + 1) return fail_wrong_type(at, what);
    int w = b == form16 ? 2 : 4;
    if (!need(1 + static_cast<size_t>(w), at)) return false;
    uint64_t n = be(at + 1, w);
    if ((w == 2 && n < 16) || (w == 4 && n <= 0xffff))
        return fail(Error::NonCanonicalHeader, at, n, what);
    pos_ += 1 + static_cast<size_t>(w);
    *ret_n = static_cast<uint32_t>(n);
    return true;
}

bool Reader::map_header(uint32_t* ret_n) { return container_header(0x80, 0xde, "map", ret_n); }

bool Reader::array_header(uint32_t* ret_n) { return container_header(0x90, 0xdc, "array", ret_n); }

bool Reader::str(Str* ret, uint64_t max_len) {
    size_t at = pos_;
    if (!need(1, at)) return false;
    uint8_t b = in_.ptr[pos_];
    uint64_t n;
    size_t hdr;
    if (b >= 0xa0 && b <= 0xbf) {
        n = b & 0x1f;
        hdr = 1;
    } else if (b >= 0xd9 && b <= 0xdb) {
        int w = width_of(b, 0xd9);
        if (!need(1 + static_cast<size_t>(w), at)) return false;
        n = be(at + 1, w);
        hdr = 1 + static_cast<size_t>(w);
        uint64_t min = w == 1 ? 32 : w == 2 ? 0x100 : 0x10000;
        if (n < min) return fail(Error::NonCanonicalHeader, at, n, "str");
    } else {
        return fail_wrong_type(at, "string");
    }
    if (n > max_len) return fail(Error::StringTooLong, at, n);
    if (!need(hdr + n, at)) return false;
    const uint8_t* p = in_.ptr + at + hdr;
    if (!valid_utf8(p, n)) return fail(Error::InvalidUtf8, at);
    pos_ += hdr + n;
    *ret = Str{reinterpret_cast<const char*>(p), static_cast<uint32_t>(n)};
    return true;
}

bool Reader::uint(uint64_t max, uint64_t* ret) {
    size_t at = pos_;
    if (!need(1, at)) return false;
    uint8_t b = in_.ptr[pos_];
    uint64_t v;
    if (b <= 0x7f) {
        v = b;
        pos_ += 1;
    } else if (b >= 0xcc && b <= 0xcf) {
        int w = b == 0xcc ? 1 : b == 0xcd ? 2 : b == 0xce ? 4 : 8;
        if (!need(1 + static_cast<size_t>(w), at)) return false;
        v = be(at + 1, w);
        uint64_t min = w == 1 ? 0x80 : w == 2 ? 0x100 : w == 4 ? 0x10000 : 0x100000000ULL;
        if (v < min) return fail(Error::NonCanonicalHeader, at, v, "uint");
        pos_ += 1 + static_cast<size_t>(w);
    } else {
        // Includes the signed forms (d0-d3, e0-ff): never written for an unsigned field.
        return fail_wrong_type(at, "unsigned integer");
    }
    if (v > max) return fail(Error::IntegerOutOfRange, at, v);
    *ret = v;
    return true;
}

bool Reader::boolean(bool* ret) {
    size_t at = pos_;
    if (!need(1, at)) return false;
    uint8_t b = in_.ptr[pos_];
    if (b != 0xc2 && b != 0xc3) return fail_wrong_type(at, "bool");
    ++pos_;
    *ret = b == 0xc3;
    return true;
}

bool Reader::digest(Digest* ret) {
    size_t at = pos_;
    if (!need(1, at)) return false;
    uint8_t b = in_.ptr[pos_];
    if (b >= 0xc4 && b <= 0xc6)
        return fail_wrong_type(at, "array of 32 integers (digest), never bin");
    uint32_t n;
    if (!array_header(&n)) return false;
    if (n != kDigestBytes) return fail(Error::BadDigestLength, at, n);
    Digest d;
    for (size_t i = 0; i < kDigestBytes; ++i) {
        uint64_t v;
        if (!uint(0xff, &v)) return false;
        d.bytes[i] = static_cast<uint8_t>(v);
    }
    *ret = d;
    return true;
}

bool Reader::skip_value() {
    size_t at = pos_;
    if (!need(1, at)) return false;
    uint8_t b = in_.ptr[pos_];
    uint64_t items = 0; // values inside a container (a map counts key and value)
    size_t skip = 0;    // bytes after the lead byte
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        skip = 0;
    } else if (b <= 0x8f) {
        items = 2u * (b & 0x0fu);
    } else if (b <= 0x9f) {
        items = b & 0x0fu;
    } else if (b <= 0xbf) {
        skip = b & 0x1fu;
    } else {
        switch (b) {
        case 0xcc:
        case 0xd0:
            skip = 1;
            break;
        case 0xcd:
        case 0xd1:
            skip = 2;
            break;
        case 0xce:
        case 0xd2:
        case 0xca:
            skip = 4;
            break;
        case 0xcf:
        case 0xd3:
        case 0xcb:
            skip = 8;
            break;
        case 0xd4:
            skip = 2;
            break;
        case 0xd5:
            skip = 3;
            break;
        case 0xd6:
            skip = 5;
            break;
        case 0xd7:
            skip = 9;
            break;
        case 0xd8:
            skip = 17;
            break;
        case 0xc4:
        case 0xd9:
        case 0xc7:
        case 0xc5:
        case 0xda:
        case 0xc8:
        case 0xc6:
        case 0xdb:
        case 0xc9: {
            int w = (b == 0xc4 || b == 0xd9 || b == 0xc7)   ? 1
                    : (b == 0xc5 || b == 0xda || b == 0xc8) ? 2
                                                            : 4;
            if (!need(1 + static_cast<size_t>(w), at)) return false;
            skip = static_cast<size_t>(w) + be(at + 1, w) + ((b >= 0xc7 && b <= 0xc9) ? 1 : 0);
            break;
        }
        case 0xdc:
        case 0xdd:
        case 0xde:
        case 0xdf: {
            int w = (b == 0xdc || b == 0xde) ? 2 : 4;
            if (!need(1 + static_cast<size_t>(w), at)) return false;
            uint64_t n = be(at + 1, w);
            items = (b >= 0xde) ? 2 * n : n;
            skip = static_cast<size_t>(w);
            break;
        }
        default:
            return fail_wrong_type(at, "a MessagePack value"); // 0xc1
        }
    }
    if (!need(1 + skip, at)) return false;
    pos_ += 1 + skip;
    if (items == 0) return true;
    if (!enter()) return false;
    for (uint64_t i = 0; i < items; ++i) {
        if (!skip_value()) return false;
    }
    leave();
    return true;
}

bool valid_utf8(const uint8_t* p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (b >= 0xc2 && b <= 0xdf) {
            len = 2;
            cp = b & 0x1fu;
        } else if (b >= 0xe0 && b <= 0xef) {
            len = 3;
            cp = b & 0x0fu;
        } else if (b >= 0xf0 && b <= 0xf4) {
            len = 4;
            cp = b & 0x07u;
        } else {
            return false; // continuation byte, overlong lead (c0, c1) or f5..ff
        }
        if (len > n - i) return false;
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false; // overlong
        if (cp >= 0xd800 && cp <= 0xdfff) return false;                           // surrogate
        if (cp > 0x10ffff) return false;
        i += len;
    }
    return true;
}

} // namespace bvisor::codec
