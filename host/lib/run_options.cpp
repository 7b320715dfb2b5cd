// host/lib/run_options.cpp: bvisor-run's options table (see bvisor/run_options.hpp).
#include "bvisor/run_options.hpp"

#include "bvisor/capabilities.hpp"
#include "bvisor/version.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>

namespace bvisor {

namespace {

[[noreturn]] void usage(const std::string& line) { throw UsageError(line); }

long number(const std::string& opt, const std::string& v, long lo, long hi, const char* what) {
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || errno || n < lo || n > hi) usage(opt + " " + v + ": " + what);
    return n;
}

// A TCP port for --allow-connect / --allow-bind, kept sorted and distinct (the plan's
// one encoding). Port 0 is for bind only: an ephemeral port.
void port(std::vector<uint16_t>& ports, const std::string& opt, const std::string& v, long lo) {
    auto p = static_cast<uint16_t>(number(
        opt, v, lo, 65535, lo ? "expected a TCP port 1-65535" : "expected a TCP port 0-65535"));
    auto at = std::lower_bound(ports.begin(), ports.end(), p);
    if (at == ports.end() || *at != p) ports.insert(at, p);
    if (ports.size() > codec::kMaxPorts)
        usage(opt + " " + v + ": at most " + std::to_string(codec::kMaxPorts) + " ports");
}

void root(RunOptions& o, const std::string& v, RootOption which) {
    o.roots.push_back(RootArg{v, which});
}

constexpr OptionRow kFilesystem[] = {
    {"ro", "PATH",
     "PROGRAM may read under PATH (a directory, a file or a\ncharacter device; repeatable)",
     [](RunOptions& o, const std::string& v) { root(o, v, RootOption::Ro); }},
    {"rw", "PATH", "PROGRAM may also write, create and delete under PATH",
     [](RunOptions& o, const std::string& v) { root(o, v, RootOption::Rw); }},
    {"dev", "PATH", "grant one more character device, read and write",
     [](RunOptions& o, const std::string& v) { root(o, v, RootOption::Dev); }},
    {"no-system-roots", nullptr, "do not add /usr /lib /lib64 /bin /sbin /etc as read roots",
     [](RunOptions& o, const std::string&) { o.system_roots = false; }},
    {"no-default-devices", nullptr,
     "do not grant /dev/null /dev/zero /dev/full (read, write)\nand /dev/random /dev/urandom "
     "(read)",
     [](RunOptions& o, const std::string&) { o.default_devices = false; }},
    {"no-tmp", nullptr,
     "no private TMPDIR (by default a fresh 0700 directory under\n$TMPDIR or /tmp is a write "
     "root and TMPDIR; removed at the end)",
     [](RunOptions& o, const std::string&) { o.tmp = false; }},
    {"keep-tmp", nullptr, "keep the private TMPDIR and print its path",
     [](RunOptions& o, const std::string&) { o.keep_tmp = true; }},
};

constexpr OptionRow kEnvironment[] = {
    {"env", "NAME=VALUE", "set NAME (repeatable)",
     [](RunOptions& o, const std::string& kv) {
         auto eq = kv.find('=');
         if (eq == std::string::npos || eq == 0) usage("--env " + kv + ": expected NAME=VALUE");
         o.set_env(kv.substr(0, eq), kv.substr(eq + 1));
     }},
    {"inherit-env", "NAME", "copy NAME from your environment (repeatable)",
     [](RunOptions& o, const std::string& name) {
         if (name.empty() || name.find('=') != std::string::npos)
             usage("--inherit-env " + name + ": expected a variable name");
         if (const char* v = std::getenv(name.c_str()))
             o.set_env(name, v);
         else
             std::fprintf(stderr,
                          "bvisor-run: --inherit-env %s: not set in your environment, skipped\n",
                          name.c_str());
     }},
};

constexpr OptionRow kKernel[] = {
    {"deny-fork", nullptr, "seccomp: fork, vfork, clone and clone3 fail with EPERM",
     [](RunOptions& o, const std::string&) { o.deny_fork = true; }},
    {"deny-sockets", nullptr, "seccomp: socket() (every family) and io_uring fail with EPERM",
     [](RunOptions& o, const std::string&) { o.deny_sockets = true; }},
    {"userns", nullptr, "run as uid 0 / gid 0 in a new user namespace",
     [](RunOptions& o, const std::string&) { o.userns = true; }},
    {"cgroup", "DIR", "start PROGRAM inside this existing cgroup2 directory",
     [](RunOptions& o, const std::string& v) { o.cgroup = v; }},
};

constexpr OptionRow kNetwork[] = {
    {"allow-connect", "PORT", "PROGRAM may connect to TCP PORT, on any address (repeatable)",
     [](RunOptions& o, const std::string& v) { port(o.connect_ports, "--allow-connect", v, 1); }},
    {"allow-bind", "PORT", "PROGRAM may listen on TCP PORT (0: an ephemeral port;\nrepeatable)",
     [](RunOptions& o, const std::string& v) { port(o.bind_ports, "--allow-bind", v, 0); }},
    {"allow-net", nullptr, "no network policy: PROGRAM may use the network as you can",
     [](RunOptions& o, const std::string&) { o.allow_net = true; }},
    {"no-network", nullptr, "a new, empty network namespace (implies --userns)",
     [](RunOptions& o, const std::string&) { o.no_network = o.userns = true; }},
};

constexpr OptionRow kRelaxations[] = {
    {"keep-cap", "CAP", "a root PROGRAM keeps capability CAP (e.g. net_bind_service)",
     [](RunOptions& o, const std::string& name) {
         auto cap = capability_from_name(name);
         if (!cap)
             usage("--keep-cap " + name + ": not a capability (e.g. net_bind_service, or 0-63)");
         o.keep_caps |= uint64_t{1} << *cap;
     }},
    {"allow-abstract-unix", nullptr, "PROGRAM may connect to abstract unix sockets outside",
     [](RunOptions& o, const std::string&) { o.allow_abstract_unix = true; }},
    {"allow-signals", nullptr, "PROGRAM may signal processes outside the sandbox",
     [](RunOptions& o, const std::string&) { o.allow_signals = true; }},
};

constexpr OptionRow kRequirements[] = {
    {"strict", nullptr, "refuse unless every hardening default can be applied",
     [](RunOptions& o, const std::string&) { o.strict = true; }},
    {"landlock-min-abi", "N", "refuse on a kernel whose Landlock ABI is below N",
     [](RunOptions& o, const std::string& v) {
         long abi = number("--landlock-min-abi", v, 1, 255, "expected a number 1-255");
         o.landlock_min_abi = abi >= 2 ? static_cast<uint8_t>(abi) : 0; // 1: any Landlock
     }},
};

constexpr OptionRow kReporting[] = {
    {"explain", nullptr, "after the run, print every root and grant that was in force",
     [](RunOptions& o, const std::string&) { o.explain = true; }},
    {"transcript", nullptr, "print the launcher's transcript on stderr when done",
     [](RunOptions& o, const std::string&) { o.transcript = true; }},
    {"json-status", "PATH",
     "write a JSON status object to PATH when done (a regular\nfile, opened before the run; "
     "never through a symlink)",
     [](RunOptions& o, const std::string& v) { o.json_status_path = v; }},
    {"json-status-fd", "N", "write it to file descriptor N",
     [](RunOptions& o, const std::string& v) {
         long fd = number("--json-status-fd", v, 0, INT_MAX, "not a file descriptor");
         if (::fcntl(static_cast<int>(fd), F_GETFD) < 0)
             usage("--json-status-fd " + v + ": " + std::strerror(errno));
         o.json_status_fd = static_cast<int>(fd);
     }},
    {"dry-run", nullptr, "print the launch plan (JSON for `bvisor-plan encode`), exit",
     [](RunOptions& o, const std::string&) { o.dry_run = true; }},
    {"launcher", "PATH", "the launcher to use (default: the one beside bvisor-run)",
     [](RunOptions& o, const std::string& v) { o.launcher = v; }},
    {"help", nullptr, "this summary (also -h); the manual is bvisor-run(1)",
     [](RunOptions& o, const std::string&) { o.help = true; }},
    {"version", nullptr, "the version and the plan protocol",
     [](RunOptions& o, const std::string&) { o.version = true; }},
};

constexpr OptionSection kSections[] = {
    {"Filesystem (Landlock, Linux 5.13 or newer):", kFilesystem,
     "  PROGRAM is looked up in your PATH like a shell does; if it lies outside every\n"
     "  root, the file itself (never its directory) is added as a read root so that it\n"
     "  can start, and so is a script's interpreter.\n"},
    {"Environment (the default is only PATH=/usr/local/bin:/usr/bin:/bin, and TMPDIR):",
     kEnvironment, nullptr},
    {"Kernel confinement:", kKernel, nullptr},
    {"Network (denied by default: no TCP, UDP, raw or packet socket, IPv4 or IPv6, also\n"
     "to this machine; Unix sockets stay). Ports need Landlock ABI 4 (Linux 6.7):",
     kNetwork, "  A port is granted on every address (Landlock's rules have no address).\n"},
    {"Hardening (on by default: new session, no keyrings, no capabilities, no terminal\n"
     "takeover, no io_uring, Landlock scopes from ABI 6; what PROGRAM leaves running ends\n"
     "with it); relaxations:",
     kRelaxations, nullptr},
    {"Requirements:", kRequirements, nullptr},
    {"Reporting:", kReporting, nullptr},
};

constexpr const char* kHelpHead = R"(usage: bvisor-run [OPTIONS] -- PROGRAM [ARGS...]

Run PROGRAM confined: it may read only the read roots, write only the write roots,
and it inherits no file descriptor but stdin, stdout and stderr.
)";

constexpr const char* kHelpTail = R"(
Terminal: PROGRAM never gets yours; with a terminal on stdin, stdout or stderr it gets
a new pseudo-terminal that bvisor-run relays (Ctrl-C, Ctrl-Z, resizing work). With
stdin a terminal and stdout not (a pipeline), its stdin is /dev/null.

Exit status: PROGRAM's own; 128+N if it was killed (or the launch interrupted) by
signal N; 125 if bvisor-run or the launcher refused or failed; 126 if PROGRAM cannot
be run; 127 if it was not found.
)";

const OptionRow* find_row(const std::string& key) {
    for (const auto& s : kSections)
        for (const auto& r : s.rows)
            if (key == r.key) return &r;
    return nullptr;
}

} // namespace

void RunOptions::set_env(const std::string& name, const std::string& value) {
    for (auto& [n, v] : env) {
        if (n == name) {
            v = value;
            return;
        }
    }
    env.emplace_back(name, value);
}

bool RunOptions::has_env(const std::string& name) const {
    for (const auto& e : env)
        if (e.first == name) return true;
    return false;
}

std::span<const OptionSection> run_option_sections() { return kSections; }

std::string run_help() {
    constexpr size_t kColumn = 24; // where the help text starts
    std::string out = kHelpHead;
    for (const auto& s : kSections) {
        out += std::string("\n") + s.title + "\n";
        for (const auto& r : s.rows) {
            std::string left =
                std::string("  --") + r.key + (r.metavar ? " " : "") + (r.metavar ? r.metavar : "");
            left += left.size() < kColumn ? std::string(kColumn - left.size(), ' ') : " ";
            std::string help = r.help;
            size_t at = 0;
            for (size_t nl; (nl = help.find('\n', at)) != std::string::npos; at = nl + 1) {
                out += left + help.substr(at, nl - at) + "\n";
                left = std::string(kColumn, ' ');
            }
            out += left + help.substr(at) + "\n";
        }
        if (s.after) out += s.after;
    }
    return out + kHelpTail;
}

RunOptions parse_run_args(int argc, const char* const* argv) {
    RunOptions o;
    o.env.emplace_back("PATH", kDefaultPath);
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a.empty() || a[0] != '-') break; // PROGRAM without "--"
        const OptionRow* row = a == "-h"               ? find_row("help")
                               : a.rfind("--", 0) == 0 ? find_row(a.substr(2))
                                                       : nullptr;
        if (!row) usage("unknown option " + a + " (see --help)");
        std::string value;
        if (row->metavar) {
            if (i + 1 >= argc) usage(a + " needs a value (see --help)");
            value = argv[++i];
        }
        row->apply(o, value);
        if (o.help || o.version) return o; // nothing after them matters
    }
    for (; i < argc; ++i)
        o.command.emplace_back(argv[i]);
    if (o.command.empty())
        usage("no PROGRAM given (usage: bvisor-run [OPTIONS] -- PROGRAM [ARGS...])");
    if (o.allow_net && !(o.connect_ports.empty() && o.bind_ports.empty()))
        usage(std::string(o.connect_ports.empty() ? "--allow-bind" : "--allow-connect") +
              " grants a port of a denied network, and --allow-net denies nothing: give one or "
              "the other");
    return o;
}

} // namespace bvisor
