// tests/support/pty.cpp: see pty.hpp.
#include "pty.hpp"

#include "env.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace bvisor::test {

InteractiveShell::InteractiveShell(bool unprivileged, const std::vector<std::string>& env) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0)
        throw std::runtime_error("posix_openpt");
    char name[128];
    if (::ptsname_r(master_, name, sizeof name) != 0) throw std::runtime_error("ptsname_r");
    tty_ = name;
    std::vector<std::string> envs = env;
    std::vector<char*> envp;
    for (auto& e : envs)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    const char* argv[] = {"sh", "-i", nullptr};
    bool drop = unprivileged && running_as_root();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
        // A new session whose controlling terminal is the pty: opening the slave as a
        // session leader without one makes it so; TIOCSCTTY says it explicitly.
        if (::setsid() < 0) ::_exit(120);
        int slave = ::open(name, O_RDWR);
        if (slave < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0) ::_exit(121);
        for (int fd = 0; fd < 3; ++fd)
            if (::dup2(slave, fd) < 0) ::_exit(122);
        if (slave > 2) ::close(slave);
        if (drop && !become_nobody()) ::_exit(123);
        ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
        ::_exit(127);
    }
}

InteractiveShell::~InteractiveShell() {
    if (pid_ > 0) {
        ::kill(-pid_, SIGKILL); // its session's process group, then the shell itself
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    if (master_ >= 0) ::close(master_);
}

void InteractiveShell::type(const std::string& line) {
    std::string text = line + "\n";
    const char* p = text.data();
    size_t n = text.size();
    while (n > 0) {
        ssize_t w = ::write(master_, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw std::runtime_error("write to pty master");
        p += w;
        n -= static_cast<size_t>(w);
    }
}

void InteractiveShell::interrupt() { press(0x03); } // VINTR in the default termios

void InteractiveShell::press(char key) {
    if (::write(master_, &key, 1) != 1) throw std::runtime_error("write to pty master");
}

void InteractiveShell::resize(unsigned short rows, unsigned short cols) {
    winsize w{};
    w.ws_row = rows;
    w.ws_col = cols;
    if (::ioctl(master_, TIOCSWINSZ, &w) != 0) throw std::runtime_error("TIOCSWINSZ");
}

bool InteractiveShell::wait_for(const std::string& text, size_t from,
                                std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (out_.find(text, from) != std::string::npos) return true;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        until - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) return false;
        pollfd p{master_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(master_, buf, sizeof buf);
        if (n <= 0) return out_.find(text, from) != std::string::npos; // EIO: shell gone
        out_.append(buf, static_cast<size_t>(n));
    }
}

} // namespace bvisor::test
