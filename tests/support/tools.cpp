// tests/support/tools.cpp: see tools.hpp.
#include "tools.hpp"

#include "env.hpp"

#include <algorithm>

namespace bvisor::test {

std::string run_tool() {
    reachable_copy(launcher_path());
    return reachable_copy(tool_path("bvisor-run"));
}

std::vector<std::string> bvisor_run_argv(std::vector<std::string> args, bool unprivileged) {
    args.insert(args.begin(), run_tool());
    if (unprivileged && running_as_root()) {
        args.insert(args.begin(),
                    {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    }
    return args;
}

std::vector<std::string> user_env(const std::vector<std::string>& extra) {
    std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent",
                                    "LANG=C.UTF-8"};
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

ProcessResult bvisor_run(std::vector<std::string> args, bool unprivileged, const std::string& input,
                         const std::vector<std::string>& extra_env) {
    return run_process(bvisor_run_argv(std::move(args), unprivileged), user_env(extra_env), input);
}

size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace bvisor::test
