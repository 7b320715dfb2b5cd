// An adversarial plan corpus against the real launcher: bit flips, truncations, length
// lies, reordered keys, swapped types, huge counts and deep nesting, generated from
// valid plans with a fixed seed.
//   - As raw frames (the mutated body inside the original header): every one must be
//     refused, exit 3, with no child.
//   - Re-sealed (a fresh, valid header) so the body decoder is exercised: every one must
//     end, within a bounded time, with exit 0, 3 or 4 and the matching terminal line;
//     every body the codec calls non-canonical must be refused with no child.
// The workload would leave a marker file; no refused launch may leave it.
#include "../support/launch.hpp"
#include "../support/mp_value.hpp"
#include "../support/sample_plans.hpp"

#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <random>
#include <unistd.h>

using namespace bvisor;
using namespace bvisor::test;
using S = LauncherState;

namespace {

struct Case {
    std::string kind;
    std::vector<uint8_t> body;
};

struct Base {
    PreparedLaunch launch;
    std::vector<uint8_t> body;
    std::string marker;
};

// Harmless workloads: each would only touch a marker in a scratch directory.
std::vector<Base> bases(const TempDir& dir) {
    std::vector<Base> out;
    auto add = [&](auto&& b, const std::string& marker) {
        Base x;
        x.launch = b.build();
        x.body = encode_body(x.launch.body);
        x.marker = marker;
        out.push_back(std::move(x));
    };
    std::string m1 = dir / "m1", m2 = dir / "m2", m3 = dir / "m3";
    add(shell("touch " + m1), m1);
    add(shell("touch " + m2).read_root(dir.path()).write_root(dir.path()).system_roots(), m2);
    add(shell("touch " + m3)
            .write_root(dir.path())
            .system_roots()
            .seccomp(SeccompRequest{true, true})
            .user_namespace(),
        m3);
    return out;
}

void replace(std::vector<uint8_t>& v, size_t at, size_t len, const std::string& with) {
    v.erase(v.begin() + static_cast<long>(at), v.begin() + static_cast<long>(at + len));
    v.insert(v.begin() + static_cast<long>(at), with.begin(), with.end());
}

// Every value position of a tree, as a path of indices (map entries by index).
void value_paths(const MpValue& v, std::vector<size_t>& path,
                 std::vector<std::vector<size_t>>& out) {
    out.push_back(path);
    if (v.type == MpValue::Type::Array) {
        for (size_t i = 0; i < v.items.size(); ++i) {
            path.push_back(i);
            value_paths(v.items[i], path, out);
            path.pop_back();
        }
    } else if (v.type == MpValue::Type::Map) {
        for (size_t i = 0; i < v.entries.size(); ++i) {
            path.push_back(i);
            value_paths(v.entries[i].second, path, out);
            path.pop_back();
        }
    }
}

MpValue& at_path(MpValue& v, const std::vector<size_t>& path) {
    MpValue* x = &v;
    for (size_t i : path)
        x = x->type == MpValue::Type::Array ? &x->items[i] : &x->entries[i].second;
    return *x;
}

std::vector<Case> mutate(const LaunchBody& body, const std::vector<uint8_t>& bytes,
                         std::mt19937_64& rng, int per_kind) {
    std::vector<Case> cases;
    MpValue tree = body_value(body);
    std::vector<std::vector<size_t>> paths;
    std::vector<size_t> scratch;
    value_paths(tree, scratch, paths);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };

    for (int i = 0; i < per_kind; ++i) {
        auto b = bytes; // bit flips: one to three bits
        int flips = 1 + static_cast<int>(rng() % 3);
        for (int f = 0; f < flips; ++f)
            b[pick(b.size())] ^= static_cast<uint8_t>(1u << (rng() % 8));
        cases.push_back({"bit flip", b});
    }
    for (int i = 0; i < per_kind; ++i) {
        cases.push_back({"truncation", std::vector<uint8_t>(
                                           bytes.begin(),
                                           bytes.begin() + static_cast<long>(pick(bytes.size())))});
    }
    for (int i = 0; i < per_kind; ++i) {
        // Length lies: a fix-form header (map, array, str) claims a different length.
        auto b = bytes;
        std::vector<size_t> heads;
        for (size_t k = 0; k < b.size(); ++k)
            if (b[k] >= 0x80 && b[k] <= 0xbf) heads.push_back(k);
        size_t k = heads[pick(heads.size())];
        uint8_t base = b[k] >= 0xa0 ? 0xa0 : b[k] >= 0x90 ? 0x90 : 0x80;
        uint8_t mask = base == 0xa0 ? 0x1f : 0x0f;
        b[k] = static_cast<uint8_t>(base | ((b[k] + 1 + rng() % mask) & mask));
        cases.push_back({"length lie", b});
    }
    for (int i = 0; i < per_kind; ++i) {
        MpValue t = tree; // reordered keys in some map
        std::vector<MpValue*> maps;
        for (const auto& p : paths) {
            MpValue& x = at_path(t, p);
            if (x.type == MpValue::Type::Map && x.entries.size() >= 2) maps.push_back(&x);
        }
        MpValue& m = *maps[pick(maps.size())];
        size_t a = pick(m.entries.size()), c = pick(m.entries.size());
        if (a == c) c = (a + 1) % m.entries.size();
        std::swap(m.entries[a], m.entries[c]);
        cases.push_back({"reordered keys", mp_encode(t)});
    }
    for (int i = 0; i < per_kind; ++i) {
        MpValue t = tree; // a value of another type
        MpValue& x = at_path(t, paths[1 + pick(paths.size() - 1)]);
        switch (rng() % 6) {
        case 0:
            x = MpValue::uint(rng() % 100000);
            break;
        case 1:
            x = MpValue::str("swapped");
            break;
        case 2:
            x = MpValue::boolean(true);
            break;
        case 3:
            x = MpValue::nil();
            break;
        case 4:
            x = MpValue::array({MpValue::uint(1)});
            break;
        default:
            x = MpValue::bin("\x01\x02");
            break;
        }
        cases.push_back({"swapped type", mp_encode(t)});
    }
    for (int i = 0; i < per_kind; ++i) {
        MpValue t = tree; // a count that promises far more than the input holds
        MpValue& x = at_path(t, paths[1 + pick(paths.size() - 1)]);
        static const char* huge[] = {"\xdd\xff\xff\xff\xff", "\xdf\xff\xff\xff\xff",
                                     "\xdb\xff\xff\xff\xff", "\xdc\xff\xff",
                                     "\xde\xff\xff",         "\xdd\x00\x01\x00\x00"};
        x = MpValue::raw(huge[rng() % 6]);
        cases.push_back({"huge count", mp_encode(t)});
    }
    for (int i = 0; i < per_kind; ++i) {
        auto b = bytes; // deep nesting where a value should be
        size_t at = pick(b.size());
        replace(b, at, 1, std::string(1000 + rng() % 100000, '\x91') + "\x01");
        cases.push_back({"deep nesting", b});
    }
    return cases;
}

void check_ended_cleanly(const Observation& o, const std::string& kind) {
    INFO(kind << "\n" << show(o));
    REQUIRE_FALSE(o.timed_out);
    REQUIRE(o.launcher.exited); // never a crash
    REQUIRE(o.terminal.has_value());
    switch (o.launcher.code) {
    case 0:
        CHECK(*o.terminal == S::ExecSucceeded);
        break;
    case 3:
        CHECK(*o.terminal == S::SetupRefused);
        break;
    case 4:
        CHECK(*o.terminal == S::SetupFaulted);
        break;
    default:
        FAIL("unexpected launcher exit " << o.launcher.code);
    }
    CHECK(o.states.back() == *o.terminal);
}

// Fresh copies of the base plan's fds for one launch (the spawner closes what it gets).
std::vector<Grant> copies(const std::vector<Grant>& grants) {
    std::vector<Grant> out;
    for (const auto& g : grants)
        out.push_back(Grant{g.slot, UniqueFd(::fcntl(g.fd.get(), F_DUPFD_CLOEXEC, 3))});
    return out;
}

} // namespace

TEST_CASE("adversarial raw frames are all refused, exit 3, no child", "[launcher][adversarial]") {
    TempDir dir("adv-raw");
    std::mt19937_64 rng(0x5eed1);
    size_t n = 0;
    for (Base& base : bases(dir)) {
        Bytes original = frame(base.body);
        for (Case& c : mutate(base.launch.body, base.body, rng, 12)) {
            if (c.body == base.body) continue;
            // The mutated body inside the original header: the envelope cannot pass.
            Bytes f(original.begin(), original.begin() + 46);
            f.insert(f.end(), c.body.begin(), c.body.end());
            std::vector<Grant> grants = copies(base.launch.grants);
            Observation o = launch_frame(f, std::move(grants));
            INFO(c.kind << "\n" << show(o));
            REQUIRE(o.launcher.exited);
            CHECK(o.launcher.code == 3);
            CHECK(o.terminal == S::SetupRefused);
            CHECK(o.refusal == RefusalReason::PlanInvalid);
            CHECK_FALSE(o.has_state(S::ChildCreated));
            CHECK_FALSE(file_exists(base.marker));
            ++n;
        }
        // Header lies too: every single-bit flip in the 46-byte header.
        for (size_t i = 0; i < 46 * 8; i += 5) {
            Bytes f = original;
            f[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
            std::vector<Grant> grants = copies(base.launch.grants);
            Observation o = launch_frame(f, std::move(grants));
            CHECK(o.launcher.code == 3);
            CHECK_FALSE(o.has_state(S::ChildCreated));
            ++n;
        }
    }
    CHECK(n > 200);
    INFO(n << " raw frames");
}

TEST_CASE("adversarial re-sealed bodies end cleanly; non-canonical ones are refused with no child",
          "[launcher][adversarial]") {
    TempDir dir("adv-sealed");
    std::mt19937_64 rng(0x5eed2);
    size_t n = 0, refused_noncanonical = 0, ran = 0;
    for (Base& base : bases(dir)) {
        for (Case& c : mutate(base.launch.body, base.body, rng, 25)) {
            ::unlink(base.marker.c_str());
            bool canonical = decode_status(c.body).ok();
            std::vector<Grant> grants = copies(base.launch.grants);
            Observation o = launch_frame(frame(c.body), std::move(grants));
            check_ended_cleanly(o, c.kind);
            if (!canonical) {
                INFO(c.kind << "\n" << show(o));
                CHECK(o.launcher.code == 3);
                CHECK(o.refusal == RefusalReason::PlanInvalid);
                CHECK_FALSE(o.has_state(S::ChildCreated));
                CHECK_FALSE(file_exists(base.marker));
                ++refused_noncanonical;
            }
            if (o.launcher.code == 3) CHECK_FALSE(file_exists(base.marker));
            if (o.launcher.code == 0) ++ran;
            ++n;
        }
    }
    INFO(n << " bodies, " << refused_noncanonical << " non-canonical, " << ran << " ran");
    CHECK(n > 400);
    CHECK(refused_noncanonical > 200);
}
