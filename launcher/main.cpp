// launcher/main.cpp: bvisor-linux-launcher, the coordinator.
//
// A flat, ordered list of stages (docs/PROTOCOL.md sections 6-9 and 11). Each stage is
// one call; the first failure ends the launch with a refusal (exit 3) or a fault
// (exit 4), and nothing runs. Every stage until clone3 runs in the coordinator, with
// the launcher's own privileges, and may use musl; after clone3 the child runs
// launcher/child.cpp only (raw syscalls, no allocation).
//
// What it does not do: resolve paths (every authority arrives as an fd), allocate
// memory (all storage below is static), or write anything to fds 0-2 except the one
// "no usable control channel" line.
#include "child.h"
#include "env.h"
#include "handles.h"
#include "hardening.h"
#include "landlock.h"
#include "network.h"
#include "seccomp.h"
#include "supervise.h"
#include "sys/errno.h"
#include "sys/fd.h"
#include "sys/process.h"
#include "sys/sig.h"
#include "testhooks.h"
#include "transcript.h"

#include "codec/blake3.h"
#include "codec/checks.h"
#include "codec/plan.h"

#include <linux/sched.h>

namespace {

using namespace bvisor;
using namespace bvisor::launcher;
using codec::LauncherState;
using codec::RefusalReason;

// --- static storage: the launcher has no heap. All of it is zero-initialised .bss with
// trivial destructors, so nothing registers an exit handler.
uint8_t g_plan[codec::kMaxPlanBytes + 1];
codec::PlanStorage g_storage;
// Every argv/envp string NUL-terminated (and envp joined as NAME=VALUE). The strings
// come from a plan of at most kMaxPlanBytes, so they fit with one NUL and one '='
// per string.
char g_exec_strings[codec::kMaxPlanBytes + 2 * codec::kMaxStrings];
char* g_argv[codec::kMaxStrings + 1];
char* g_envp[codec::kMaxStrings + 1];
launcher::ChildPlan g_child;
// The child's stack when it shares our memory (CLONE_VM): run_child needs well under
// 4 KiB; only the pages it touches become resident.
alignas(16) char g_child_stack[64 * 1024];

// The launch as the stages see it.
struct Launch {
    int control_fd = -1;
    int plan_fd = -1;
    codec::DecodedPlan decoded;
    codec::Schedule schedule;
    LandlockSetup landlock;
    NetworkSetup network;
    HardeningSetup hardening;
    int error_pipe[2] = {-1, -1};
    int sync_pipe[2] = {-1, -1};
    int cgroup_fd = -1;
    int children_fd = -1; // our children's list, for the survivors (supervise.h)
    SignalState signals;
    pid_t child = 0;
    TestHooks hooks; // all off outside the test build

    const codec::Plan& plan() const { return decoded.plan; }
    const codec::Target& target() const { return decoded.plan.target; }
};

[[noreturn]] void no_control_channel() {
    static const char kMsg[] = "bvisor-linux-launcher: no usable control channel fd\n";
    (void)sys::sys_write(2, kMsg, sizeof kMsg - 1);
    sys::sys_exit_group(4);
}

int env_fd_or_fault(char** envp, const char* name) {
    int fd;
    if (!parse_fd(find_env(envp, name), &fd)) {
        Line text;
        text.append("missing or malformed fd env var ").append(name);
        g_transcript.fault(text.c_str());
    }
    return fd;
}

// The control and plan fds must not be one of the workload's stdio fds: the workload
// would inherit the transcript channel (and could write lines of its own) or the plan.
void fault_if_stdio(int fd, const char* what) {
    if (fd > 2) return;
    Line text;
    text.append(what).append(" fd ").append_u64(static_cast<uint64_t>(fd));
    text.append(" is one of the workload's stdio fds (0-2)");
    g_transcript.fault(text.c_str());
}

[[noreturn]] void refuse_status(RefusalReason reason, const char* prefix, const codec::Status& st) {
    Line detail;
    detail.append(prefix);
    codec::format_status(st, detail);
    g_transcript.refuse(reason, detail);
}

// --- Stage 1: find someone to report to (PROTOCOL.md section 6).
void open_transcript(Launch& l, char** envp) {
    // A host that closes its end must see exit 4, not a launcher killed by SIGPIPE; a
    // host that ignores SIGCHLD must not make the kernel reap our child for us.
    (void)sys::sys_set_disposition(sys::kSigPipe, sys::sig_ign());
    (void)sys::sys_set_disposition(sys::kSigChld, sys::kSigDfl);
    if (!parse_fd(find_env(envp, kEnvControlFd), &l.control_fd)) no_control_channel();
    if (!g_transcript.start(l.control_fd)) no_control_channel();
    fault_if_stdio(l.control_fd, "control channel");
    l.plan_fd = env_fd_or_fault(envp, kEnvPlanFd);
    (void)env_fd_or_fault(envp, kEnvErrorFd); // compatibility only: the host's
    (void)env_fd_or_fault(envp,
                          kEnvErrorReadFd); // error pipe is closed by now (PROTOCOL.md section 6)
    fault_if_stdio(l.plan_fd, "plan");
}

// Reads the plan fd from its current offset to EOF, at most the cap + 1 bytes.
size_t read_plan(int fd) {
    size_t len = 0;
    while (len < sizeof g_plan) {
        long n = sys::sys_read(fd, g_plan + len, sizeof g_plan - len);
        if (n == sys::kEintr) continue;
        if (n < 0) g_transcript.os_fault("read plan", n);
        if (n == 0) break;
        len += static_cast<size_t>(n);
    }
    return len;
}

// --- Stage 2, checks 1 and 2: the plan fits the cap, the frame is valid, the body
// canonical, and h_l binds the exact bytes of the lowering (codec::verify_identity).
void verify_identity(Launch& l) {
    size_t plan_len = read_plan(l.plan_fd);
    Line detail;
    RefusalReason reason;
    if (!codec::verify_identity(codec::Bytes{g_plan, plan_len}, &g_storage, &l.decoded, &reason,
                                detail))
        g_transcript.refuse(reason, detail);
    g_transcript.state(LauncherState::IdentityVerified);
}

// --- Stage 3, checks 3..8: what the plan means (shared with bvisor-plan verify).
void verify_plan(Launch& l) {
    codec::Refusal refusal;
    if (!codec::check_plan(l.plan(), l.control_fd, l.plan_fd, &refusal))
        refuse_status(refusal.reason, "", refusal.status);
    g_transcript.state(LauncherState::PlanVerified);
    l.schedule = codec::summarize(l.plan().lowering);
}

// --- Stage 4, check 9: every declared fd is open and has its declared shape.
void verify_handles(Launch& l) {
    Line detail;
    if (!check_handles(l.plan().descriptor_table, detail))
        g_transcript.refuse(RefusalReason::HandleMismatch, detail);
    g_transcript.state(LauncherState::HandlesVerified);
}

// --- Stage 5, checks 10 and 11, then the network policy, the hardening decisions and
// the denylist: all compiled here, before clone3; the child only installs them.
void prepare_confinement(Launch& l) {
    if (l.schedule.landlock > 0) {
        l.landlock = prepare_landlock(l.plan());
        g_child.ruleset_fd = l.landlock.ruleset_fd;
    }
    l.network = prepare_network(l.plan(), l.schedule);
    g_child.net_ruleset_fd = l.network.ruleset_fd;
    l.hardening = prepare_hardening(l.plan(), l.schedule, l.landlock, l.network, g_child);
    prepare_seccomp(l.plan(), l.schedule, g_child);
}

// Copies argv and envp out of the plan into NUL-terminated strings for execveat.
void build_exec_strings(const codec::Target& t) {
    char* out = g_exec_strings;
    auto put = [&](codec::Str s) {
        codec::copy_bytes(out, s.ptr, s.len);
        out += s.len;
    };
    for (size_t i = 0; i < t.argv.len; ++i) {
        g_argv[i] = out;
        put(t.argv[i]);
        *out++ = '\0';
    }
    g_argv[t.argv.len] = nullptr;
    for (size_t i = 0; i < t.envp.len; ++i) {
        g_envp[i] = out;
        put(t.envp[i].name);
        *out++ = '=';
        put(t.envp[i].value);
        *out++ = '\0';
    }
    g_envp[t.envp.len] = nullptr;
}

void keep_fd(launcher::ChildPlan& p, int fd) {
    if (fd < 0) return;
    int i = p.n_keep;
    for (int k = 0; k < p.n_keep; ++k)
        if (p.keep[k] == fd) return;
    while (i > 0 && p.keep[i - 1] > fd) {
        p.keep[i] = p.keep[i - 1];
        --i;
    }
    p.keep[i] = fd;
    ++p.n_keep;
}

// PROTOCOL.md section 8: a `#!` script is executed by an interpreter that opens /dev/fd/<exe>, so
// its fd must survive exec. Anything else gets close-on-exec so the workload never holds its own
// image open: also an fd whose first bytes cannot be read (an O_PATH fd, an empty or unreadable
// file), since only a positively read `#!` needs the fd.
void apply_exe_fd_rule(int exe_fd) {
    char magic[2];
    long n = sys::sys_pread(exe_fd, magic, 2, 0);
    if (n == 2 && magic[0] == '#' && magic[1] == '!') return;
    long flags = sys::sys_fcntl(exe_fd, F_GETFD, 0);
    if (flags < 0) g_transcript.os_fault("fcntl(F_GETFD) exe", flags);
    long r = sys::sys_fcntl(exe_fd, F_SETFD, flags | FD_CLOEXEC);
    if (r < 0) g_transcript.os_fault("fcntl(F_SETFD) exe", r);
}

// A close-on-exec pipe whose fds are >= 3, so none can sit in the workload's stdio
// slots if the launcher was started with fds 0-2 closed.
void make_pipe(int fds[2], const char* what) {
    long r = sys::sys_pipe2(fds, O_CLOEXEC);
    if (r < 0) g_transcript.os_fault(what, r);
    for (int i = 0; i < 2; ++i) {
        if (fds[i] >= 3) continue;
        long moved = sys::sys_fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (moved < 0) g_transcript.os_fault(what, moved);
        (void)sys::sys_close(fds[i]);
        fds[i] = static_cast<int>(moved);
    }
}

// The window's name: "bvisor/" and 8 random hex digits. No exec can produce it (a
// file name has no '/'), and the workload cannot know it to imitate it.
void make_window_comm(char comm[kCommMax]) {
    uint32_t nonce = 0;
    if (sys::sys_getrandom(&nonce, sizeof nonce, 1 /* GRND_NONBLOCK */) != sizeof nonce)
        nonce = static_cast<uint32_t>(sys::sys_getpid()) * 2654435761u;
    codec::TextBuf t(comm, kCommMax);
    t.append("bvisor/");
    for (int shift = 28; shift >= 0; shift -= 4)
        t.append_char("0123456789abcdef"[(nonce >> shift) & 0xf]);
}

// --- Stage 6: everything the child needs, prepared before clone3.
void prepare_child(Launch& l) {
    const int exe_fd = static_cast<int>(l.target().exe_slot);
    build_exec_strings(l.target());
    make_pipe(l.error_pipe, "pipe2 (error pipe)");
    if (l.target().user_namespace) make_pipe(l.sync_pipe, "pipe2 (userns sync)");
    apply_exe_fd_rule(exe_fd);
    for (const codec::Slot& s : l.plan().descriptor_table)
        if (s.role == codec::Role::CgroupDir) l.cgroup_fd = static_cast<int>(s.slot_index);

    g_child.parent_pid = static_cast<pid_t>(sys::sys_getpid());
    g_child.error_write_fd = l.error_pipe[1];
    g_child.sync_read_fd = l.sync_pipe[0];
    g_child.sync_write_fd = l.sync_pipe[1];
    g_child.exe_fd = exe_fd;
    g_child.argv = g_argv;
    g_child.envp = g_envp;
    g_child.test_pause_ms = l.hooks.window_pause_ms;
    g_child.test_stop_after_setsid = l.hooks.stop_after_setsid;
    make_window_comm(g_child.comm);
    const int kept[] = {0,
                        1,
                        2,
                        exe_fd,
                        l.error_pipe[1],
                        g_child.ruleset_fd,
                        g_child.net_ruleset_fd,
                        l.sync_pipe[0]};
    for (int fd : kept)
        keep_fd(g_child, fd);
    arm_child(g_child);

    // What a confined workload leaves running becomes ours, to end with it.
    if (l.hardening.active) {
        long sr = become_subreaper();
        if (sr < -1) g_transcript.os_fault("prctl(PR_SET_CHILD_SUBREAPER)", sr);
        l.children_fd = static_cast<int>(sr);
    }
    long r = block_signals(&l.signals);
    if (r < 0) g_transcript.os_fault("rt_sigprocmask", r);
    g_child.reset_to_default = l.signals.non_default;
}

// The child's first C++ frame, called by the clone3 trampoline on the child's stack.
[[noreturn]] void child_entry(const void* plan) {
    launcher::run_child(*static_cast<const launcher::ChildPlan*>(plan));
}

// --- Stage 7: clone3, one child, in its namespaces and cgroup from birth. From here on
// a child exists: transcript failures no longer end us, and every exit reaps it.
void spawn_child(Launch& l) {
    struct clone_args args = {};
    args.exit_signal = sys::kSigChld;
    if (!l.target().user_namespace) {
        // Without a rendezvous the child needs nothing from us until it has exec'd, so
        // it borrows our memory instead of copying it (as posix_spawn does): no page
        // tables to copy, no copy-on-write faults afterwards; about 0.08 ms per launch
        // here. It runs on its own stack and writes nothing else; what it reads
        // (g_child and what it points to) we never write again.
        //
        // No CLONE_VFORK: a vfork parent waits uninterruptibly, handlers and all, until
        // the child has exec'd. A stop that lands on the child just after its setsid
        // leaves it stopped outside our process group, and only our forwarded SIGCONT
        // can continue it (supervise.h); we must be running to forward it. So we carry
        // on at once and wait for the exec on the error pipe, where we can take signals.
        args.flags |= CLONE_VM;
        args.stack = reinterpret_cast<uint64_t>(g_child_stack);
        args.stack_size = sizeof g_child_stack;
    } else {
        // The child waits for its uid/gid maps, which we write while it waits: it
        // must not hold us, so it gets its own copy of our memory.
        args.flags |= CLONE_NEWUSER;
    }
    if (l.target().network_namespace) args.flags |= CLONE_NEWNET;
    if (l.cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(l.cgroup_fd);
    }
    long pid = sys::sys_clone3_call(&args, child_entry, &g_child); // the child never returns
    if (pid < 0) {
        (void)sys::sys_rt_sigprocmask(sys::kSigSetmask, &l.signals.saved_mask, nullptr);
        g_transcript.os_fault("clone3", pid);
    }
    g_transcript.child_exists();
    l.child = static_cast<pid_t>(pid);
    long r = start_forwarding(l.child, l.signals);
    (void)sys::sys_close(l.error_pipe[1]);
    if (l.sync_pipe[0] >= 0) (void)sys::sys_close(l.sync_pipe[0]);
    if (l.hooks.pause_before_child_note_ms > 0)
        (void)sys::sys_sleep_ms(l.hooks.pause_before_child_note_ms);
    g_transcript.state(LauncherState::ChildCreated);
    {
        Line text;
        text.append("mechanism=clone3 child_pid=").append_u64(static_cast<uint64_t>(l.child));
        g_transcript.note(text);
    }
    if (l.cgroup_fd >= 0) g_transcript.note("cgroup_placement=clone_into_cgroup");
    if (r < 0) {
        // Without forwarding the launch would not be supervised as promised.
        int status;
        (void)sys::sys_kill(l.child, sys::kSigKill);
        (void)reap(l.child, &status);
        g_transcript.os_fault("rt_sigaction (signal forwarding)", r);
    }
}

// Reads the child's error pipe to EOF. True when it holds a record; a failed read
// reaps the child and faults.
bool read_child_report(Launch& l, ChildReport* report) {
    long err = 0;
    ReportRead got = launcher::read_child_report(l.error_pipe[0], report, &err);
    if (got == ReportRead::Failed) {
        int status;
        (void)reap(l.child, &status);
        g_transcript.os_fault("read (child error pipe)", err);
    }
    return got == ReportRead::Record;
}

// The child's launch ended before exec: say why (one or two notes), reap it, fault.
// The notes come first: a host that reads them knows the child's pid is no longer to
// be signalled before that pid can be reused.
[[noreturn]] void child_fault(pid_t child, const codec::TextBuf& why, const char* also = nullptr) {
    g_transcript.note(why);
    if (also) g_transcript.note(also);
    int status;
    (void)reap(child, &status);
    g_transcript.state(LauncherState::SetupFaulted);
    sys::sys_exit_group(4);
}

[[noreturn]] void fault_ended_by_signal(pid_t child, long sig, const char* how) {
    Line text;
    describe_child_report(ChildReport{kSignalRecord, static_cast<int32_t>(sig)}, text);
    text.append(how);
    child_fault(child, text);
}

// A record means the window ended before exec: say how, reap, fault.
[[noreturn]] void fault_child_report(pid_t child, const ChildReport& report) {
    Line text;
    describe_child_report(report, text);
    child_fault(child, text);
}

// --- Stage 8: the user-namespace rendezvous; the child waits on the sync pipe for its
// maps. If they cannot be written it is never released.
void rendezvous(Launch& l) {
    if (!l.target().user_namespace) return;
    Line detail;
    detail.append("user_namespace map write: ");
    long w;
    if (l.hooks.force_userns_map_fail) {
        detail.append("forced to fail by a test hook (test build)");
        w = -1;
    } else {
        w = write_id_maps(l.child, detail);
    }
    if (w < 0) {
        // Fail closed: never release the child; it reads EOF and exits 127. If a signal
        // ended it first (so the maps could not be written), that is what happened.
        (void)sys::sys_close(l.sync_pipe[1]);
        ChildReport report;
        if (read_child_report(l, &report)) fault_child_report(l.child, report);
        child_fault(l.child, detail, "user_namespace=map_write_failed fail_closed");
    }
    char go = 1;
    long n = sys::retry_eintr([&] { return sys::sys_write(l.sync_pipe[1], &go, 1); });
    (void)sys::sys_close(l.sync_pipe[1]);
    if (n != 1) {
        // EPIPE: the child is gone already; what ended it is on the error pipe.
        ChildReport report;
        if (read_child_report(l, &report)) fault_child_report(l.child, report);
        int status;
        (void)reap(l.child, &status);
        g_transcript.os_fault("write (userns release)", n < 0 ? n : sys::kEio);
    }
}

void workload_note(int status) {
    Line text;
    if ((status & 0x7f) == 0) {
        text.append("workload exit=").append_u64(static_cast<uint64_t>((status >> 8) & 0xff));
    } else {
        text.append("workload signal=").append_u64(static_cast<uint64_t>(status & 0x7f));
        if (status & 0x80) text.append(" core");
    }
    g_transcript.note(text);
}

// `# survivors ended=N[ left][ unlisted]`, when the workload left anything behind.
void survivors_note(const Survivors& s) {
    if (s.ended == 0 && !s.left) return;
    Line text;
    text.append("survivors ended=").append_u64(static_cast<uint64_t>(s.ended));
    if (s.left) text.append(" left");
    if (s.unlisted) text.append(" unlisted");
    g_transcript.note(text);
}

// --- Stage 9: the exec, and how the workload ended. A record on the error pipe ends
// the launch; EOF without one means exec, or SIGKILL before it, which await_end tells
// apart. Only then is anything said about what the child installed.
void await_workload(Launch& l) {
    ChildReport report;
    if (read_child_report(l, &report)) fault_child_report(l.child, report);
    ChildEnd end;
    long r = await_end(l.child, g_child.comm, &end);
    if (r < 0) g_transcript.os_fault("waitid", r);
    if (!end.exec_proven || end.proof_unavailable)
        fault_ended_by_signal(l.child, end.status & 0x7f,
                              end.proof_unavailable ? " (not proven: /proc/<pid>/comm unreadable)"
                                                    : "");

    // The workload ran. Each note below is true now that its exec is proven.
    if (l.schedule.seccomp > 0) g_transcript.note("seccomp=denylist_installed mode=filter");
    hardening_note(l.hardening, l.target().keep_capabilities);
    if (l.target().user_namespace) g_transcript.note("user_namespace=mapped child_uid0_egid0");
    if (l.target().network_namespace)
        g_transcript.note("network_namespace=empty_netns child_isolated");
    workload_note(end.status);
    if (l.hardening.active) kill_workload_group(l.child); // before the reap: see supervise.h
    int status;
    r = reap(l.child, &status);
    if (r < 0) g_transcript.os_fault("wait4", r);
    if (l.hardening.active) survivors_note(end_survivors(l.children_fd));
    if (l.hooks.pause_after_reap_ms > 0) (void)sys::sys_sleep_ms(l.hooks.pause_after_reap_ms);
}

// --- Stage 10: the phases, recorded after the fact (as upstream does).
[[noreturn]] void report_phases(const Launch& l) {
    g_transcript.state(LauncherState::IdentityPhaseResolved);
    g_transcript.state(LauncherState::VisibilityPhaseResolved);
    g_transcript.state(LauncherState::AmbientAuthorityPhaseResolved);
    codec::PhaseResult confinement = codec::confinement_result(l.schedule);
    {
        Line text;
        text.append("confinement=").append(codec::phase_result_name(confinement));
        text.append(" installed=")
            .append(codec::confinement_installed(l.schedule.confinement(), confinement) ? "true"
                                                                                        : "false");
        g_transcript.note(text);
    }
    g_transcript.state(LauncherState::ConfinementPhaseResolved);
    g_transcript.state(LauncherState::ReadyToExec);
    g_transcript.state(LauncherState::ExecSucceeded);
    sys::sys_exit_group(0);
}

Launch g_launch;

} // namespace

int main(int, char**, char** envp) {
    Launch& l = g_launch;
    l.hooks = read_test_hooks(envp);
    open_transcript(l, envp);
    verify_identity(l);
    verify_plan(l);
    verify_handles(l);
    prepare_confinement(l);
    prepare_child(l);
    spawn_child(l);
    rendezvous(l);
    await_workload(l);
    report_phases(l);
}
