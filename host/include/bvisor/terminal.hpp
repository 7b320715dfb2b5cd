// bvisor/terminal.hpp: a confined workload as the foreground job of a terminal, without
// the terminal itself (issue 19 F05, F06, F09).
//
// Handed the user's terminal on fds 0-2, a workload outside the terminal's session reads
// whatever is typed to the shell afterwards (no SIGTTIN stops a process without a
// controlling terminal), even once bvisor-run has returned, and can take the terminal
// over with ioctls. So when any of fds 0, 1, 2 is a terminal, Foreground opens a new
// pseudo-terminal and the launcher gets its slave in those places instead; Foreground
// relays between the two, as sudo's use_pty and script(1) do:
//   * the user's terminal is put in raw mode while we are its foreground job, and the
//     pty's slave starts with the user's own modes and window size; bytes typed go to
//     the pty only then (in the background nothing is read, so nothing is stolen);
//   * only for a workload whose output is on the terminal too: with fd 0 a terminal
//     and fd 1 not (a pipeline, `> file`), its stdin is /dev/null and the terminal is
//     not read at all, so a pager later in the pipeline gets every key;
//   * while the pty's modes ask for signals (ISIG), its INTR and QUIT characters become
//     SIGINT and SIGQUIT to the workload's process group, and SUSP suspends the job;
//   * window size changes (SIGWINCH) are copied to the pty and signalled to the group;
//   * once the launcher has ended, what the pty still holds is written out and the
//     terminal gets its modes back; the pty is closed, so anything of the workload's
//     still holding the slave can read no more.
//
// Job control, with a pty or without: SIGTSTP (Ctrl-Z, or the SUSP character) stops the
// workload's process group (SIGSTOP: a session of its own is an orphaned group, whose
// SIGTSTP the kernel would discard), gives the terminal its modes back and stops
// bvisor-run; SIGCONT continues the group and, in the foreground, goes back to raw mode.
//
// The workload's process group is the workload's pid (it leads a session of its own),
// given by a callback: the pid while the workload runs, 0 before it exists, -1 once it
// has ended. With `fresh` the callback first reads all the launcher has said (it says
// the workload ended before it reaps it): a signal is never sent to a pid that may have
// been reused.
//
// From its construction Foreground holds SIGTSTP, SIGCONT and SIGWINCH blocked, and
// start() takes and unblocks them: a Ctrl-Z typed while the launcher starts (the
// terminal not yet raw, so the kernel sends SIGTSTP to our group) stays pending until
// the stop can reach the workload, instead of stopping bvisor-run alone by its default
// action while the workload runs on. The launcher must get them unblocked and at their
// defaults: LaunchRequest::reset_signals lists taken_signals().
#pragma once

#include "spawn.hpp"

#include <functional>
#include <span>
#include <string>
#include <sys/types.h>
#include <termios.h>
#include <vector>

namespace bvisor {

class Foreground : public Io {
public:
    // `relay`: a pty when any of fds 0-2 is a terminal (false: job control only).
    explicit Foreground(bool relay);
    ~Foreground() override;
    Foreground(const Foreground&) = delete;
    Foreground& operator=(const Foreground&) = delete;

    bool relaying() const { return master_ >= 0; }
    // The launcher's fd i: the pty's slave where ours is a terminal (/dev/null for a
    // terminal stdin whose stdout is not one), else -1 (ours).
    int stdio(int i) const { return i == 0 && null_ >= 0 ? null_ : relay_fd_[i] ? slave_ : -1; }
    // Once the launcher runs: drops our copy of the slave, takes SIGTSTP, SIGCONT and
    // (with a pty) SIGWINCH, and goes raw if we are the terminal's foreground job.
    void start(std::function<long(bool fresh)> workload_group);
    // Once the launcher has ended: the rest of the pty's output, then the terminal's
    // own modes back. Idempotent.
    void finish();

    // The signals held blocked from construction and taken by start().
    static std::span<const int> taken_signals();

    void fds(std::vector<struct pollfd>& out) override;
    void ready(const struct pollfd* p, size_t n) override;

private:
    void signal_group(int sig);
    void await_group();
    void suspend();
    void resume();
    void copy_window_size();
    bool foreground() const;
    void raw(bool on);
    void from_user();
    void flush_pending();
    void to_user(bool drain);

    std::function<long(bool)> workload_group_;
    int term_ = -1; // the user's terminal: the first of fds 0-2 that is one
    int out_ = -1;  // where the pty's output goes: 1 or 2 if a terminal, else term_
    bool relay_fd_[3] = {};
    int master_ = -1, slave_ = -1;
    int null_ = -1;        // /dev/null, the workload's stdin in a pipeline
    bool input_ = false;   // fd 0 is the terminal: what is typed goes to the pty
    bool raw_ = false;     // the user's terminal is in raw mode now
    bool ended_ = false;   // finish() ran
    bool hung_up_ = false; // the pty has no slave open any more: nothing more will come
    bool winch_ = false;   // we took SIGWINCH (from bvisor-run's forwarding)
    struct termios saved_ {};
    std::string pending_; // typed, not yet taken by the pty
};

} // namespace bvisor
