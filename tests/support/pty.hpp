// tests/support/pty.hpp: an interactive shell on a fresh pseudo-terminal, as in a
// user's terminal window: /bin/sh -i is a session leader whose controlling terminal is
// the pty, and the test types lines into the master and reads what the terminal shows.
//
// For the terminal-injection tests, whose verdict is what the shell does with its next
// input line.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bvisor::test {

class InteractiveShell {
public:
    // Starts /bin/sh -i with exactly `env`, as root or (from root) as uid 65534.
    InteractiveShell(bool unprivileged, const std::vector<std::string>& env);
    ~InteractiveShell(); // kills the shell and everything in its session
    InteractiveShell(const InteractiveShell&) = delete;
    InteractiveShell& operator=(const InteractiveShell&) = delete;

    // Types `line` and a newline, as a user would.
    void type(const std::string& line);
    // Presses Ctrl-C: the terminal sends SIGINT to its foreground process group.
    void interrupt();
    // Presses one key: Ctrl-Z is '\x1a', Ctrl-D '\x04'.
    void press(char key);
    // The pty's slave, as the shell's processes see it (/dev/pts/N).
    const std::string& tty() const { return tty_; }
    // Resizes the window: the terminal sends SIGWINCH to its foreground process group.
    void resize(unsigned short rows, unsigned short cols);
    // Reads what the terminal shows until `text` appears in it after `from` (an offset
    // into output()); false after `timeout`.
    bool wait_for(const std::string& text, size_t from = 0,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));
    const std::string& output() const { return out_; }
    pid_t pid() const { return pid_; }

private:
    int master_ = -1;
    pid_t pid_ = -1;
    std::string tty_;
    std::string out_;
};

} // namespace bvisor::test
