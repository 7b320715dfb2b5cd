// tests/support/random_plans.cpp: see random_plans.hpp.
#include "random_plans.hpp"

namespace bvisor::test {

namespace {

uint64_t pick(std::mt19937_64& rng, std::initializer_list<uint64_t> v) {
    return *(v.begin() + static_cast<long>(rng() % v.size()));
}

uint32_t boundary_u32(std::mt19937_64& rng) {
    if (rng() % 3 == 0) return static_cast<uint32_t>(rng());
    return static_cast<uint32_t>(pick(rng, {0, 1, 15, 16, 31, 32, 127, 128, 255, 256, 65535, 65536,
                                            2147483647, 2147483648u, 4294967295u}));
}

Digest random_digest(std::mt19937_64& rng) {
    Digest d;
    for (auto& b : d)
        b = static_cast<uint8_t>(rng() % 4 == 0 ? pick(rng, {0, 0x7f, 0x80, 0xff}) : rng());
    return d;
}

std::string random_string(std::mt19937_64& rng) {
    static const char* pieces[] = {"a",
                                   "Z",
                                   "/",
                                   " ",
                                   "=",
                                   "\n",
                                   "\t",
                                   "\x01",
                                   "\x7f",
                                   "\xc3\xa9",
                                   "\xe2\x82\xac",
                                   "\xf0\x9f\x98\x80",
                                   "\"",
                                   "\\"};
    size_t len = pick(rng, {0, 1, 5, 31, 32, 33, 255, 256, 300});
    if (rng() % 50 == 0) len = pick(rng, {65535, 65536, 70000});
    std::string s;
    while (s.size() < len) {
        size_t i = rng() % 15;
        if (i == 14)
            s.push_back('\0'); // NUL is wire-valid (the launcher refuses it later)
        else
            s += pieces[i];
    }
    // Cut back to a character boundary at or below len.
    while (s.size() > len) {
        s.pop_back();
        while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xc0) == 0x80)
            s.pop_back();
        if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xc0) s.pop_back();
    }
    return s;
}

template <class T> T random_enum(std::mt19937_64& rng, T count) {
    return static_cast<T>(rng() % static_cast<uint64_t>(count));
}

} // namespace

LaunchBody random_body(std::mt19937_64& rng) {
    LaunchBody b;
    b.attempt_id = random_digest(rng);
    b.plan_id = random_digest(rng);
    b.h_a = random_digest(rng);
    b.h_p = random_digest(rng);
    size_t entries = pick(rng, {0, 1, 2, 4, 15, 16, 17, 64});
    for (size_t i = 0; i < entries; ++i) {
        LoweringEntry e;
        switch (rng() % 5) {
        case 0:
            e = LoweringEntry::scrub();
            break;
        case 1:
            e = LoweringEntry::landlock();
            break;
        case 2:
            e = LoweringEntry::exec();
            break;
        default:
            e.id = random_string(rng);
            break;
        }
        e.version = boundary_u32(rng);
        e.phase_code = static_cast<uint8_t>(pick(rng, {0, 3, 4, 5, 127, 128, 255}));
        e.param_digest = random_digest(rng);
        e.decl_digest = random_digest(rng);
        b.lowering.push_back(e);
    }
    b.h_l = rng() % 2 ? lowering_digest(b.lowering) : random_digest(rng);
    size_t slots = pick(rng, {0, 1, 3, 15, 16, 40, 300});
    for (size_t i = 0; i < slots; ++i) {
        b.descriptor_table.push_back(DescriptorSlot{boundary_u32(rng),
                                                    random_enum(rng, Role::Count),
                                                    random_enum(rng, Kind::Count), rng() % 2 == 0});
    }
    size_t argc = pick(rng, {0, 1, 2, 15, 16, 17, 100});
    for (size_t i = 0; i < argc; ++i)
        b.target.argv.push_back(random_string(rng));
    size_t envc = pick(rng, {0, 1, 2, 15, 16, 40});
    for (size_t i = 0; i < envc; ++i)
        b.target.envp.emplace_back(random_string(rng), random_string(rng));
    b.target.exe_slot = boundary_u32(rng);
    b.target.user_namespace = rng() % 2;
    b.target.network_namespace = rng() % 2;
    if (rng() % 2) b.target.seccomp = SeccompRequest{rng() % 2 == 0, rng() % 2 == 0};
    return b;
}

} // namespace bvisor::test
