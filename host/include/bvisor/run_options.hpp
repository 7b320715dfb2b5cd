// bvisor/run_options.hpp: bvisor-run's command line, as one table.
//
// Each row is one option: its stable key (the long option without "--"; also its key
// in a policy file), its metavar, its help, and the action that records it in
// RunOptions. `--help` is generated from the table, and tests check the man page
// (docs/bvisor-run.1.md) against it, so an option exists in all three or fails a test.
// What the options mean for the plan is bvisor-run's business (host/tools/bvisor-run/).
#pragma once

#include "error.hpp"
#include "plan.hpp"

#include <span>
#include <string>
#include <utility>
#include <vector>

namespace bvisor {

// A command line bvisor-run cannot take; what() names the option.
class UsageError : public Exception {
public:
    using Exception::Exception;
};

// A root as the user named it: --ro, --rw or --dev, in command-line order.
enum class RootOption { Ro, Rw, Dev };
struct RootArg {
    std::string path;
    RootOption option;
};

struct RunOptions {
    std::vector<RootArg> roots;
    bool system_roots = true, default_devices = true, tmp = true, keep_tmp = false;
    std::vector<std::pair<std::string, std::string>> env; // PATH first, then in order
    bool deny_fork = false, deny_sockets = false, userns = false, no_network = false;
    bool allow_net = false;                          // no network policy at all
    std::vector<uint16_t> connect_ports, bind_ports; // sorted, distinct
    uint64_t keep_caps = 0;                          // bit n = capability n
    bool allow_abstract_unix = false, allow_signals = false, strict = false;
    uint8_t landlock_min_abi = 0; // 0: any ABI
    std::string cgroup, launcher, json_status_path;
    int json_status_fd = -1;
    bool transcript = false, dry_run = false, explain = false;
    bool help = false, version = false;
    std::vector<std::string> command; // PROGRAM [ARGS...]

    void set_env(const std::string& name, const std::string& value);
    bool has_env(const std::string& name) const;
};

struct OptionRow {
    const char* key;     // "ro": the option is --ro; the policy-file key is "ro"
    const char* metavar; // nullptr for a flag
    const char* help;    // lines separated by '\n'
    void (*apply)(RunOptions& o, const std::string& value);
};

struct OptionSection {
    const char* title; // "Filesystem (Landlock, Linux 5.13 or newer):"
    std::span<const OptionRow> rows;
    const char* after; // text after the rows, or nullptr
};

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Every option, by section, in --help order.
std::span<const OptionSection> run_option_sections();
// The --help text.
std::string run_help();
// argv[1..] up to PROGRAM (with or without "--"). Throws UsageError.
RunOptions parse_run_args(int argc, const char* const* argv);

} // namespace bvisor
