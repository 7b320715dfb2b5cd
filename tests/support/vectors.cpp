// tests/support/vectors.cpp: see vectors.hpp.
#include "vectors.hpp"

#include "env.hpp"

#include <sstream>
#include <stdexcept>

namespace bvisor::test {

std::vector<uint8_t> from_hex(const std::string& hex) {
    std::vector<uint8_t> out;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    int hi = -1;
    for (char c : hex) {
        int v = nibble(c);
        if (v < 0) continue; // whitespace, newline
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<uint8_t>(hi << 4 | v));
            hi = -1;
        }
    }
    if (hi >= 0) throw std::runtime_error("odd number of hex digits");
    return out;
}

std::string hex_of(const std::vector<uint8_t>& bytes) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t b : bytes) {
        s.push_back(d[b >> 4]);
        s.push_back(d[b & 15]);
    }
    return s;
}

std::vector<uint8_t> vector_bytes(const std::string& name) {
    return from_hex(read_file(source_path("tests/vectors/" + name)));
}

std::vector<std::string> vector_lines(const std::string& name) {
    std::istringstream in(read_file(source_path("tests/vectors/" + name)));
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        out.push_back(line);
    }
    return out;
}

} // namespace bvisor::test
