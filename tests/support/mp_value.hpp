// tests/support/mp_value.hpp: an independent, test-side MessagePack value tree whose
// encoder can be told to use any header width, so tests can build every
// non-canonical form of a plan body by editing its canonical tree.
//
// body_value(b) builds the tree of the canonical body by hand (not through the
// codec); a test checks that it encodes to exactly encode_body(b).
#pragma once

#include "bvisor/plan.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bvisor::test {

struct MpEntry;

struct MpValue {
    enum class Type { UInt, NegInt, Bool, Nil, Str, Bin, Array, Map, Raw } type = Type::Nil;
    uint64_t u = 0; // UInt / NegInt magnitude
    bool b = false;
    std::string s; // Str / Bin bytes; Raw: bytes written as they are
    std::vector<MpValue> items;
    std::vector<MpEntry> entries;
    // Header width in bytes after the lead byte: -1 = smallest (canonical); 0 = fix form.
    int width = -1;

    static MpValue uint(uint64_t v, int width = -1);
    static MpValue neg(uint64_t magnitude);
    static MpValue boolean(bool v);
    static MpValue nil();
    static MpValue str(std::string v, int width = -1);
    static MpValue bin(std::string v);
    static MpValue array(std::vector<MpValue> v, int width = -1);
    static MpValue map(std::vector<MpEntry> v, int width = -1);
    static MpValue raw(std::string bytes);
    static MpValue digest(const Digest& d);

    // The value of `key` in this map (throws if absent).
    MpValue& at(const std::string& key);
    bool has(const std::string& key) const;
    void erase(const std::string& key);
    size_t index_of(const std::string& key) const;
};

// A map entry (key, value).
struct MpEntry {
    MpValue first;
    MpValue second;
};

std::vector<uint8_t> mp_encode(const MpValue& v);
MpValue body_value(const LaunchBody& b);

} // namespace bvisor::test
