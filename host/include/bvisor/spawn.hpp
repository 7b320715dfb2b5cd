// bvisor/spawn.hpp: building a launch and running bvisor-linux-launcher.
//
// The fd layout (docs/PROTOCOL.md section 6): a slot's number IS the fd
// number in the launcher. Defaults are the seed test's: exe 10, control 11, error
// write 12 (close-on-exec: closed by the time the launcher runs), plan 13, error read
// 14, first read root 15, first write root 16, cgroup 17, system exec roots from 20,
// further roots from 30. Any layout that passes the table checks works.
//
// Spawning: the plan goes into a sealed memfd, the control channel is a socketpair,
// the launcher gets exactly the four BVISOR_* variables (the two error-pipe ones for
// compatibility only: no such pipe is created, as the launcher never uses it), and the
// workload's stdout and stderr are captured concurrently with the transcript (nothing
// can deadlock). Without run_as, join_cgroup_procs, pre_exec or die_with_host the
// launcher is started with posix_spawn; otherwise with fork, those steps, then exec.
// Failures to set a launch up throw HostError naming the path or call.
#pragma once

#include "plan.hpp"
#include "transcript.hpp"
#include "unique_fd.hpp"

#include <chrono>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bvisor {

struct FdLayout {
    int exe = 10;
    int control = 11;
    int error_write = 12;
    int plan = 13;
    int error_read = 14;
    int read_root = 15;
    int write_root = 16;
    int cgroup = 17;
    int system_roots = 20;
    int extra_roots = 30;
};

// The system directories a dynamically linked program needs (loader, libraries,
// configuration), as the seed test declares them.
const std::vector<std::string>& system_exec_roots();

// An fd the launcher receives at `slot` (the fd is owned here and closed after spawn).
struct Grant {
    int slot;
    UniqueFd fd;
};

// A plan plus the fds it names.
struct PreparedLaunch {
    LaunchBody body;
    std::vector<Grant> grants;
};

// Builds a plan and opens its fds: scrub + (landlock if any root) + (seccomp if asked)
// + (hardening if required) + exec. Paths are opened when build() runs; a path that
// cannot be opened throws a HostError naming it.
//
// A root is a directory, a regular file or a character device (a single-file root,
// docs/PROTOCOL.md section 11.1); directories are opened O_DIRECTORY, anything else
// O_PATH (a device is never opened for real). Anything else (a block device, a socket,
// a fifo) throws. A root may also be given as an fd the caller opened (and checked):
// the grant is then exactly that object, whatever its path names by the time build()
// runs.
class PlanBuilder {
public:
    explicit PlanBuilder(FdLayout layout = {});
    PlanBuilder& exe(std::string path); // the program (opened read-only)
    PlanBuilder& exe_fd(UniqueFd fd);   // or an fd you opened
    PlanBuilder& argv(std::vector<std::string> argv);
    PlanBuilder& env(std::string name, std::string value);
    PlanBuilder& read_root(std::string path);
    PlanBuilder& write_root(std::string path);
    // The same for an fd (not open for writing): a directory, a regular file or a
    // character device, judged by fstat on the fd.
    PlanBuilder& read_root(UniqueFd fd);
    PlanBuilder& write_root(UniqueFd fd);
    PlanBuilder& system_roots(); // system_exec_roots() that exist
    PlanBuilder& seccomp(SeccompRequest request);
    PlanBuilder& user_namespace();
    PlanBuilder& network_namespace();     // needs user_namespace()
    PlanBuilder& cgroup(std::string dir); // born in this cgroup2 directory
    // Extensions (docs/PROTOCOL.md section 11).
    PlanBuilder& require_hardening();              // linux.hardening.require.v1
    PlanBuilder& keep_capabilities(uint64_t caps); // bit n = capability n
    PlanBuilder& allow_abstract_unix();
    PlanBuilder& allow_signals();
    PlanBuilder& landlock_min_abi(uint8_t abi);
    // linux.network.restrict.v1 with target.network: no network but these TCP ports.
    PlanBuilder& network(NetworkPolicy policy);
    PlanBuilder& ids(const Digest& attempt_id, const Digest& plan_id, const Digest& h_a,
                     const Digest& h_p);
    PreparedLaunch build();

private:
    struct Root {
        std::string path; // or, when empty, `fd`
        Role role;
        UniqueFd fd;
    };
    FdLayout layout_;
    std::string exe_path_;
    UniqueFd exe_fd_;
    TargetSpec target_; // what the plan's target says, but exe_slot (set by build)
    std::vector<Root> roots_;
    bool system_roots_ = false;
    std::optional<std::string> cgroup_;
    bool require_hardening_ = false;
    Digest ids_[4] = {};
};

struct LaunchRequest {
    std::string launcher;       // path to bvisor-linux-launcher
    Bytes frame;                // the framed plan (put in a sealed memfd)...
    std::optional<int> plan_fd; // ...or this readable fd instead
    std::vector<Grant> grants;  // fds at their slot numbers
    FdLayout layout;
    std::vector<std::string> extra_env; // appended to the four BVISOR_* variables
    bool capture_output = true;         // false: the workload shares our stdin/out/err
    // Without capture: these fds become the launcher's 0, 1, 2 (-1: our own), e.g. the
    // slave of a pseudo-terminal (bvisor/terminal.hpp).
    int stdio[3] = {-1, -1, -1};
    // The launcher leads a process group of its own: signals a terminal sends to our
    // foreground group (Ctrl-C) reach us once, not it as well.
    bool new_process_group = false;
    // Descriptors finish() also waits on, and what to do when they are ready.
    class Io* io = nullptr;
    std::string stdin_data;          // when capturing: fed to the workload's stdin
    std::optional<uid_t> run_as_uid; // drop to this uid/gid (and no groups) first
    std::optional<gid_t> run_as_gid;
    std::string join_cgroup_procs; // write "0" to this cgroup.procs before exec
    // The launcher gets SIGKILL when the thread that started it dies (PR_SET_PDEATHSIG),
    // and with it the workload (the launcher sets the same for its child). Needs the
    // fork path.
    bool die_with_host = false;
    // Signals to restore to SIG_DFL and unblock in the launcher, for a host that blocks
    // and handles them around the spawn (bvisor-run does).
    std::vector<int> reset_signals;
    // Called by finish() once the launcher has ended but before it is reaped (while
    // its pid cannot be reused): e.g. to stop forwarding signals to it.
    void (*before_reap)() = nullptr;
    // Runs in the forked child right before exec; returns 0 or an errno. Must be
    // async-signal-safe.
    int (*pre_exec)(void*) = nullptr;
    void* pre_exec_arg = nullptr;
    std::chrono::milliseconds timeout{std::chrono::minutes(2)};
    // Run the launcher under this command (e.g. {"/usr/bin/strace", "-f", "-c"}); the
    // launcher's path is appended to it.
    std::vector<std::string> wrapper;
};

// More descriptors for Launch::finish() to wait on beside the control channel and the
// captured output (bvisor-run's terminal relay). Called from finish() only.
class Io {
public:
    virtual ~Io() = default;
    // Appends the descriptors to wait on now, and what for.
    virtual void fds(std::vector<struct pollfd>& out) = 0;
    // After each wait: the entries fds() appended, with their revents.
    virtual void ready(const struct pollfd* p, size_t n) = 0;
};

// A running launcher. Destroying it kills and reaps the launcher if it still runs.
class Launch {
public:
    explicit Launch(LaunchRequest request);
    ~Launch();
    Launch(const Launch&) = delete;
    Launch& operator=(const Launch&) = delete;

    pid_t pid() const { return pid_; }
    // Reads until a transcript line starts with `prefix`; returns it (without the
    // newline), or nullopt at EOF or after `timeout`.
    std::optional<std::string> wait_for_line(std::string_view prefix,
                                             std::chrono::milliseconds timeout);
    // Reads everything to EOF, reaps the launcher, and parses what it said.
    Observation finish();
    // Reads what the control channel has now, without waiting; the transcript so far.
    void read_available();
    const std::string& transcript() const { return transcript_; }
    void kill(int sig);
    // Stops reading the transcript and closes our end of the control channel (a host
    // that went away); the launcher must carry on supervising the workload.
    void close_control() { control_.reset(); }

private:
    bool pump(int timeout_ms);
    void close_all();

    LaunchRequest req_;
    pid_t pid_ = -1;
    UniqueFd control_, out_, err_, in_;
    size_t in_written_ = 0;
    std::string transcript_, stdout_, stderr_;
    size_t scanned_ = 0;
    std::chrono::steady_clock::time_point deadline_;
    bool timed_out_ = false;
    bool reaped_ = false;
    ProcessEnd end_;
};

// Starts the launcher and waits for it: Launch(request).finish().
Observation run_launcher(LaunchRequest request);

} // namespace bvisor
