// tests/support/vectors.hpp: the reference vectors in tests/vectors (copied from the
// project's shared vectors; see tests/vectors/README.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bvisor::test {

std::vector<uint8_t> from_hex(const std::string& hex);
std::string hex_of(const std::vector<uint8_t>& bytes);

// tests/vectors/<name> (a one-line hex file) as bytes.
std::vector<uint8_t> vector_bytes(const std::string& name);

// The lines of tests/vectors/<name>, without comments or blank lines.
std::vector<std::string> vector_lines(const std::string& name);

} // namespace bvisor::test
