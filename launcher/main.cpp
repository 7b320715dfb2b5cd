// launcher/main.cpp: bvisor-linux-launcher, the coordinator.
//
// A flat, ordered list of stages (PROTOCOL.md sections 5-7). Each stage is one call and
// one early exit; the first failure ends the launch with a refusal (exit 3) or a fault
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
#include "landlock.h"
#include "supervise.h"
#include "sys/fd.h"
#include "sys/process.h"
#include "sys/sig.h"
#include "transcript.h"

#include "codec/blake3.h"
#include "codec/checks.h"
#include "codec/plan.h"
#include "codec/seccomp_bpf.h"

#include <linux/sched.h>

namespace {

using namespace bvisor;
using namespace bvisor::launcher;
using codec::LauncherState;
using codec::RefusalReason;

constexpr int kSigPipe = 13;
constexpr int kSigChld = 17;
constexpr long kEintr = -4;

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
codec::BpfInsn g_filter[codec::kMaxSeccompInsns];
struct sock_fprog g_fprog;
launcher::ChildPlan g_child;
// The child's stack when it shares our memory (CLONE_VM): run_child needs well under
// 4 KiB; only the pages it touches become resident.
alignas(16) char g_child_stack[64 * 1024];

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

// Reads the plan fd from its current offset to EOF, at most the cap + 1 bytes.
size_t read_plan(int fd) {
    size_t len = 0;
    while (len < sizeof g_plan) {
        long n = sys::sys_read(fd, g_plan + len, sizeof g_plan - len);
        if (n == kEintr) continue;
        if (n < 0) g_transcript.os_fault("read plan", n);
        if (n == 0) break;
        len += static_cast<size_t>(n);
    }
    return len;
}

[[noreturn]] void refuse_status(RefusalReason reason, const char* prefix, const codec::Status& st) {
    Line detail;
    detail.append(prefix);
    codec::format_status(st, detail);
    g_transcript.refuse(reason, detail);
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

// The child's first C++ frame, called by the clone3 trampoline on the child's stack.
[[noreturn]] void child_entry(const void* plan) {
    launcher::run_child(*static_cast<const launcher::ChildPlan*>(plan));
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

// D5: a `#!` script is executed by an interpreter that opens /dev/fd/<exe>, so its fd
// must survive exec; anything else (ELF) gets close-on-exec so the workload never
// holds its own image open.
void apply_exe_fd_rule(int exe_fd) {
    char magic[2];
    long n = sys::sys_pread(exe_fd, magic, 2, 0);
    if (n == 2 && !(magic[0] == '#' && magic[1] == '!')) {
        long flags = sys::sys_fcntl(exe_fd, F_GETFD, 0);
        if (flags < 0) g_transcript.os_fault("fcntl(F_GETFD) exe", flags);
        long r = sys::sys_fcntl(exe_fd, F_SETFD, flags | FD_CLOEXEC);
        if (r < 0) g_transcript.os_fault("fcntl(F_SETFD) exe", r);
    }
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

} // namespace

int main(int, char**, char** envp) {
    // --- Coordinator, before the plan: find someone to report to.
    // A host that closes its end must see exit 4, not a launcher killed by SIGPIPE.
    (void)sys::sys_set_disposition(kSigPipe, sys::sig_ign());
    int control_fd;
    if (!parse_fd(find_env(envp, kEnvControlFd), &control_fd)) no_control_channel();
    if (!g_transcript.start(control_fd)) no_control_channel();

    int plan_fd = env_fd_or_fault(envp, kEnvPlanFd);
    (void)env_fd_or_fault(envp, kEnvErrorFd);     // compatibility only: the host's
    (void)env_fd_or_fault(envp, kEnvErrorReadFd); // error pipe is closed by now (D12)

    // --- Check 1: the plan fits the cap, the frame is valid, the body canonical.
    size_t plan_len = read_plan(plan_fd);
    if (plan_len > codec::kMaxPlanBytes) {
        codec::Status st;
        st.code = codec::Error::PlanTooLarge;
        refuse_status(RefusalReason::PlanInvalid, "plan: ", st);
    }
    codec::Bytes body;
    codec::Status st = codec::open_frame(codec::Bytes{g_plan, plan_len}, &body);
    if (!st.ok()) refuse_status(RefusalReason::PlanInvalid, "frame: ", st);
    codec::DecodedPlan decoded;
    st = codec::decode_body(body, &g_storage, &decoded);
    if (!st.ok()) refuse_status(RefusalReason::PlanInvalid, "body: ", st);
    const codec::Plan& plan = decoded.plan;

    // --- Check 2: h_l binds the exact bytes of the lowering.
    codec::Digest bound =
        codec::Blake3::hash(body.ptr + decoded.lowering_offset, decoded.lowering_len);
    if (!codec::digest_eq(bound, plan.h_l)) {
        Line detail;
        detail.append("h_l ")
            .append_hex_bytes(plan.h_l.bytes, 32)
            .append(" does not bind the lowering (BLAKE3 ");
        detail.append_hex_bytes(bound.bytes, 32).append(")");
        g_transcript.refuse(RefusalReason::IdentityMismatch, detail);
    }
    g_transcript.state(LauncherState::IdentityVerified);

    // --- Checks 3..8: what the plan means (shared with bvisor-plan verify).
    codec::Refusal refusal;
    if (!codec::check_plan(plan, control_fd, plan_fd, &refusal))
        refuse_status(refusal.reason, "", refusal.status);
    g_transcript.state(LauncherState::PlanVerified);
    const codec::Schedule schedule = codec::summarize(plan.lowering);

    // --- Check 9: every declared fd is open and has its declared shape.
    {
        Line detail;
        if (!check_handles(plan.slots, detail))
            g_transcript.refuse(RefusalReason::HandleMismatch, detail);
    }
    g_transcript.state(LauncherState::HandlesVerified);

    // --- Checks 10, 11: the Landlock ruleset, built here, before clone3.
    int ruleset_fd = -1;
    if (schedule.landlock > 0) {
        LandlockProbe probe = probe_landlock();
        if (probe.abi < 0) {
            Line detail;
            detail.append("Landlock is not available: ");
            append_os_error(detail, probe.abi);
            g_transcript.refuse(RefusalReason::MissingPrimitive, detail);
        }
        Line abi;
        abi.append("landlock abi=").append_u64(static_cast<uint64_t>(probe.abi));
        abi.append(" errata=0x").append_hex(probe.errata);
        g_transcript.note(abi);
        if (probe.abi < kLandlockAbiFloor) {
            Line detail;
            detail.append("Landlock ABI ").append_u64(static_cast<uint64_t>(probe.abi));
            detail.append(" is below the required ABI 3 (TRUNCATE, Linux 6.2)");
            g_transcript.refuse(RefusalReason::MissingPrimitive, detail);
        }
        Line detail;
        ruleset_fd = build_ruleset(plan.slots, detail);
        if (ruleset_fd < 0) g_transcript.refuse(RefusalReason::HandleMismatch, detail);
    }

    // --- Seccomp: the program is compiled here; the child only installs it.
    if (schedule.seccomp > 0) {
        size_t n = codec::compile_seccomp_denylist(plan.target.seccomp, g_filter);
        g_fprog.len = static_cast<unsigned short>(n);
        g_fprog.filter = reinterpret_cast<struct sock_filter*>(g_filter);
        g_child.seccomp = &g_fprog;
    }

    // --- Everything the child needs, prepared before clone3.
    const codec::Target& target = plan.target;
    const int exe_fd = static_cast<int>(target.exe_slot);
    build_exec_strings(target);
    int error_pipe[2];
    make_pipe(error_pipe, "pipe2 (error pipe)");
    int sync_pipe[2] = {-1, -1};
    if (target.user_namespace) make_pipe(sync_pipe, "pipe2 (userns sync)");
    apply_exe_fd_rule(exe_fd);

    int cgroup_fd = -1;
    for (const codec::Slot& s : plan.slots)
        if (s.role == codec::Role::CgroupDir) cgroup_fd = static_cast<int>(s.slot_index);

    g_child.parent_pid = static_cast<pid_t>(sys::sys_getpid());
    g_child.error_write_fd = error_pipe[1];
    g_child.sync_read_fd = sync_pipe[0];
    g_child.sync_write_fd = sync_pipe[1];
    g_child.ruleset_fd = ruleset_fd;
    g_child.exe_fd = exe_fd;
    g_child.argv = g_argv;
    g_child.envp = g_envp;
    const int kept[] = {0, 1, 2, exe_fd, error_pipe[1], ruleset_fd, sync_pipe[0]};
    for (int fd : kept)
        keep_fd(g_child, fd);

    SignalState signals;
    long r = block_signals(&signals);
    if (r < 0) g_transcript.os_fault("rt_sigprocmask", r);
    g_child.reset_to_default = signals.non_default;

    // --- clone3: one child, in its namespaces and cgroup from birth.
    struct clone_args args = {};
    args.exit_signal = kSigChld;
    if (!target.user_namespace) {
        // Without a rendezvous the child needs nothing from us until it has exec'd, so
        // it borrows our memory instead of copying it (what posix_spawn does): no page
        // tables to copy, no copy-on-write faults afterwards; about 0.08 ms per launch
        // here. CLONE_VFORK holds us until its execveat succeeded or it exited, so
        // nothing of ours runs while it shares our memory. It runs on its own stack.
        args.flags |= CLONE_VM | CLONE_VFORK;
        args.stack = reinterpret_cast<uint64_t>(g_child_stack);
        args.stack_size = sizeof g_child_stack;
    } else {
        // The child waits for its uid/gid maps, which we write while it waits: it
        // must not hold us, so it gets its own copy of our memory.
        args.flags |= CLONE_NEWUSER;
    }
    if (target.network_namespace) args.flags |= CLONE_NEWNET;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(cgroup_fd);
    }
    long pid = sys::sys_clone3_call(&args, child_entry, &g_child); // the child never returns
    if (pid < 0) {
        (void)sys::sys_rt_sigprocmask(sys::kSigSetmask, &signals.saved_mask, nullptr);
        g_transcript.os_fault("clone3", pid);
    }

    // --- Coordinator, after clone3: a child exists; transcript failures no longer end us.
    g_transcript.child_exists();
    const pid_t child = static_cast<pid_t>(pid);
    r = start_forwarding(child, signals);
    (void)sys::sys_close(error_pipe[1]);
    if (sync_pipe[0] >= 0) (void)sys::sys_close(sync_pipe[0]);
    g_transcript.state(LauncherState::ChildCreated);
    {
        Line text;
        text.append("mechanism=clone3 child_pid=").append_u64(static_cast<uint64_t>(child));
        g_transcript.note(text);
    }
    if (cgroup_fd >= 0) g_transcript.note("cgroup_placement=clone_into_cgroup");
    int status = 0;
    if (r < 0) {
        // Without forwarding the launch would not be supervised as promised.
        (void)sys::sys_kill(child, 9);
        (void)reap(child, &status);
        g_transcript.os_fault("rt_sigaction (signal forwarding)", r);
    }

    // User namespace rendezvous: the child waits on the sync pipe for its maps.
    if (target.user_namespace) {
        Line detail;
        detail.append("user_namespace map write: ");
        long w;
#if defined(BVISOR_TEST_HOOKS)
        // Test builds only (build/test/): force the failure path. Never compiled into
        // build/bin/bvisor-linux-launcher.
        const char* force = find_env(envp, "BVISOR_TEST_FORCE_USERNS_MAP_FAIL");
        if (force && force[0] == '1' && force[1] == '\0') {
            detail.append("forced to fail by BVISOR_TEST_FORCE_USERNS_MAP_FAIL (test build)");
            w = -1;
        } else {
            w = write_id_maps(child, detail);
        }
#else
        w = write_id_maps(child, detail);
#endif
        if (w < 0) {
            // Fail closed: never release the child; it reads EOF and exits 127.
            (void)sys::sys_close(sync_pipe[1]);
            (void)reap(child, &status);
            g_transcript.note(detail);
            g_transcript.note("user_namespace=map_write_failed fail_closed");
            g_transcript.state(LauncherState::SetupFaulted);
            sys::sys_exit_group(4);
        }
        char go = 1;
        long n;
        do {
            n = sys::sys_write(sync_pipe[1], &go, 1);
        } while (n == kEintr);
        (void)sys::sys_close(sync_pipe[1]);
        if (n != 1) {
            (void)reap(child, &status);
            g_transcript.os_fault("write (userns release)", n < 0 ? n : -5);
        }
    }

    // EOF without a record: execveat succeeded (the write end was close-on-exec).
    launcher::ChildReport report{};
    size_t got = 0;
    while (got < sizeof report) {
        long n = sys::sys_read(error_pipe[0], reinterpret_cast<char*>(&report) + got,
                               sizeof report - got);
        if (n == kEintr) continue;
        if (n < 0) {
            (void)reap(child, &status);
            g_transcript.os_fault("read (child error pipe)", n);
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    (void)sys::sys_close(error_pipe[0]);
    if (got != 0) {
        (void)reap(child, &status);
        Line text;
        const char* step = got == sizeof report ? child_step_name(report.step) : nullptr;
        text.append("child errno=").append_i64(got == sizeof report ? report.err : 5);
        text.append(" step=").append(step ? step : "unknown");
        g_transcript.note(text);
        g_transcript.state(LauncherState::SetupFaulted);
        sys::sys_exit_group(4);
    }

    // --- The workload runs. Each note below is true now that execveat succeeded.
    if (schedule.seccomp > 0) g_transcript.note("seccomp=denylist_installed mode=filter");
    if (target.user_namespace) g_transcript.note("user_namespace=mapped child_uid0_egid0");
    if (target.network_namespace) g_transcript.note("network_namespace=empty_netns child_isolated");

    r = reap(child, &status);
    if (r < 0) g_transcript.os_fault("wait4", r);
    workload_note(status);

    // --- The phases, recorded after the fact (as upstream does).
    g_transcript.state(LauncherState::IdentityPhaseResolved);
    g_transcript.state(LauncherState::VisibilityPhaseResolved);
    g_transcript.state(LauncherState::AmbientAuthorityPhaseResolved);
    codec::PhaseResult confinement = codec::confinement_result(schedule);
    {
        Line text;
        text.append("confinement=").append(codec::phase_result_name(confinement));
        text.append(" installed=")
            .append(codec::confinement_installed(schedule.confinement(), confinement) ? "true"
                                                                                      : "false");
        g_transcript.note(text);
    }
    g_transcript.state(LauncherState::ConfinementPhaseResolved);
    g_transcript.state(LauncherState::ReadyToExec);
    g_transcript.state(LauncherState::ExecSucceeded);
    sys::sys_exit_group(0);
}
