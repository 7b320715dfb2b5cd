// bvisor-plan: encode, decode and verify v1 launch plans.
//
//   bvisor-plan encode [--fix-hl]   JSON on stdin  -> frame on stdout
//   bvisor-plan decode [--body]     frame on stdin -> JSON on stdout (--body: a bare body)
//   bvisor-plan verify              frame on stdin -> exit 0 iff the launcher's checks 1..8 pass
//
// Exit status: 0 success, 1 invalid input (one line on stderr naming what and where),
// 2 usage error.
#include "bvisor/plan.hpp"
#include "bvisor/plan_json.hpp"
#include "bvisor/version.hpp"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: bvisor-plan encode [--fix-hl] < plan.json > plan.frame\n"
    "       bvisor-plan decode [--body]   < plan.frame > plan.json\n"
    "       bvisor-plan verify            < plan.frame\n"
    "\n"
    "encode   JSON (the body object) to a framed, canonical v1 plan. Any wire-valid\n"
    "         plan encodes, even one a launcher would refuse. h_l is required unless\n"
    "         --fix-hl, which sets it to BLAKE3 of the canonical lowering.\n"
    "decode   a frame (or with --body, a bare body) to one line of JSON.\n"
    "verify   exit 0 iff the frame is valid, h_l binds the lowering, and the plan\n"
    "         passes the launcher's checks 1-8 (PROTOCOL.md section 7); otherwise\n"
    "         exit 1 with the refusal the launcher would give.\n"
    "\n"
    "Exit status: 0 ok, 1 invalid input, 2 usage error.\n";

int usage_error(const std::string& what) {
    std::fprintf(stderr, "bvisor-plan: %s\n%s", what.c_str(), kUsage);
    return 2;
}

std::vector<uint8_t> read_stdin() {
    std::vector<uint8_t> data;
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("reading stdin: ") + std::strerror(errno));
        if (n == 0) break;
        data.insert(data.end(), buf, buf + n);
    }
    return data;
}

void write_stdout(const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    while (n > 0) {
        ssize_t w = ::write(1, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            throw std::runtime_error(std::string("writing stdout: ") + std::strerror(errno));
        b += w;
        n -= static_cast<size_t>(w);
    }
}

int invalid(const std::string& line) {
    std::fprintf(stderr, "bvisor-plan: %s\n", line.c_str());
    return 1;
}

int cmd_encode(bool fix_hl) {
    auto in = read_stdin();
    bvisor::LaunchBody body = bvisor::from_json(
        std::string_view(reinterpret_cast<const char*>(in.data()), in.size()), !fix_hl);
    auto f = bvisor::encode_frame(body);
    write_stdout(f.data(), f.size());
    return 0;
}

int cmd_decode(bool bare_body) {
    auto in = read_stdin();
    bvisor::LaunchBody body = bare_body ? bvisor::decode_body(in) : bvisor::decode_frame(in);
    std::string out = bvisor::to_json(body) + "\n";
    write_stdout(out.data(), out.size());
    return 0;
}

int cmd_verify() {
    auto in = read_stdin();
    auto verdict = bvisor::verify_frame(in);
    if (!verdict) return 0;
    return invalid(std::string("refused ") + bvisor::codec::refusal_name(verdict->reason) + ": " +
                   verdict->detail);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) return usage_error("missing command");
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (args[0] == "--version") {
        std::printf("bvisor-plan %s (plan protocol v1)\n", bvisor::kVersion);
        return 0;
    }
    const std::string cmd = args[0];
    bool flag = false;
    const char* flag_name = cmd == "encode" ? "--fix-hl" : cmd == "decode" ? "--body" : nullptr;
    for (size_t i = 1; i < args.size(); ++i) {
        if (flag_name && args[i] == flag_name) {
            flag = true;
        } else {
            return usage_error("unknown argument for " + cmd + ": " + args[i]);
        }
    }
    try {
        if (cmd == "encode") return cmd_encode(flag);
        if (cmd == "decode") return cmd_decode(flag);
        if (cmd == "verify") return cmd_verify();
        return usage_error("unknown command: " + cmd);
    } catch (const bvisor::CodecError& e) {
        return invalid(std::string(cmd == "decode" ? (flag ? "body: " : "frame: ") : "") +
                       e.what());
    } catch (const std::exception& e) {
        return invalid(e.what());
    }
}
