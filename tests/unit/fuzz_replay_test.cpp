// Replays every checked-in fuzz corpus input (tests/fuzz/corpus/<target>/: decode,
// transcript) through its fuzz target, with each input placed flush against a PROT_NONE page so
// that an over-read crashes even without ASan. A crash or a failed property aborts the run.
#include "../fuzz/decode_target.hpp"
#include "../fuzz/transcript_target.hpp"
#include "../support/env.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <filesystem>
#include <sys/mman.h>
#include <unistd.h>

using namespace bvisor::test;
namespace fs = std::filesystem;

namespace {

// Calls fn(data, size) with the input ending exactly at an inaccessible page.
// One mapping serves every input (grown when an input needs more), and its guard page
// is set once: under ASan each mprotect costs about 65 us, and a mapping (or a
// read-only flip) per input spent most of a minute of the replay's 400,000 inputs in
// the kernel. That nothing writes to its input is checked afterwards instead.
template <class F> void with_guarded_copy(const std::string& bytes, F fn) {
    static uint8_t* base = nullptr;
    static size_t span = 0; // bytes before the guard page
    size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_t need = (bytes.size() + page - 1) / page * page;
    if (need > span || !base) {
        if (base) ::munmap(base, span + page);
        span = need;
        base = static_cast<uint8_t*>(::mmap(nullptr, span + page, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        REQUIRE(base != MAP_FAILED);
        REQUIRE(::mprotect(base + span, page, PROT_NONE) == 0);
    }
    uint8_t* start = base + span - bytes.size();
    if (!bytes.empty()) std::memcpy(start, bytes.data(), bytes.size());
    fn(start, bytes.size());
    if (std::memcmp(start, bytes.data(), bytes.size()) != 0) FAIL("the target wrote to its input");
}

size_t replay(const std::string& corpus, void (*target)(const uint8_t*, size_t)) {
    size_t n = 0;
    for (const auto& entry : fs::directory_iterator(source_path(corpus))) {
        if (!entry.is_regular_file()) continue;
        with_guarded_copy(read_file(entry.path().string()), target);
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("the decode fuzz corpus replays cleanly", "[unit][fuzz]") {
    size_t n = replay("tests/fuzz/corpus/decode", bvisor::fuzz::decode_one);
    CHECK(n >= 10);
}

TEST_CASE("truncations and bit flips of the decode corpus replay cleanly", "[unit][fuzz]") {
    size_t n = 0;
    for (const auto& entry : fs::directory_iterator(source_path("tests/fuzz/corpus/decode"))) {
        std::string bytes = read_file(entry.path().string());
        for (size_t cut = 0; cut < bytes.size() && cut < 600; cut += 7) {
            with_guarded_copy(bytes.substr(0, cut), bvisor::fuzz::decode_one);
            ++n;
        }
        for (size_t i = 46; i < bytes.size() && i < 2000; i += 13) {
            std::string m = bytes;
            m[i] = static_cast<char>(m[i] ^ (1 << (i % 8)));
            with_guarded_copy(m, bvisor::fuzz::decode_one);
            ++n;
        }
    }
    CHECK(n > 100);
}

TEST_CASE("the transcript fuzz corpus replays cleanly", "[unit][fuzz]") {
    size_t n = replay("tests/fuzz/corpus/transcript", bvisor::fuzz::transcript_one);
    CHECK(n >= 10);
}

TEST_CASE("every prefix and line-ending variant of the transcript corpus replays cleanly",
          "[unit][fuzz]") {
    size_t n = 0;
    for (const auto& entry : fs::directory_iterator(source_path("tests/fuzz/corpus/transcript"))) {
        std::string bytes = read_file(entry.path().string());
        // Every cut (a transcript the host read while the launcher was still writing),
        // up to the first 600 bytes.
        for (size_t cut = 0; cut <= bytes.size() && cut < 600; ++cut) {
            with_guarded_copy(bytes.substr(0, cut), bvisor::fuzz::transcript_one);
            ++n;
        }
        // CRLF endings and padded lines: the trimming rule and the exact-line rule differ.
        std::string crlf, padded;
        for (char c : bytes) {
            if (c == '\n') {
                crlf += "\r\n";
                padded += " \t\n";
            } else {
                crlf += c;
                padded += c;
            }
        }
        with_guarded_copy(crlf, bvisor::fuzz::transcript_one);
        with_guarded_copy(padded, bvisor::fuzz::transcript_one);
        n += 2;
    }
    CHECK(n > 100);
}
