// launcher/env.h: the four environment variables of the process contract
// (PROTOCOL.md section 6).
#pragma once

namespace bvisor::launcher {

constexpr const char* kEnvControlFd = "BVISOR_CONTROL_FD";
constexpr const char* kEnvPlanFd = "BVISOR_LAUNCH_PLAN_FD";
constexpr const char* kEnvErrorFd = "BVISOR_ERROR_FD";          // compatibility: parsed, unused
constexpr const char* kEnvErrorReadFd = "BVISOR_ERROR_READ_FD"; // compatibility: parsed, unused

// The value of `name` in `envp`, or nullptr.
const char* find_env(char** envp, const char* name);

// A fd value: optional ASCII spaces, tabs and newlines around decimal digits (no
// sign), 0..2147483647. False for anything else (including a missing value).
bool parse_fd(const char* text, int* ret_fd);

} // namespace bvisor::launcher
