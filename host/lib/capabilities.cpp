// host/lib/capabilities.cpp: see bvisor/capabilities.hpp.
#include "bvisor/capabilities.hpp"

#include <cctype>
#include <charconv>

namespace bvisor {

namespace {

// Index = capability number (public kernel ABI values).
constexpr const char* kNames[] = {"chown",
                                  "dac_override",
                                  "dac_read_search",
                                  "fowner",
                                  "fsetid",
                                  "kill",
                                  "setgid",
                                  "setuid",
                                  "setpcap",
                                  "linux_immutable",
                                  "net_bind_service",
                                  "net_broadcast",
                                  "net_admin",
                                  "net_raw",
                                  "ipc_lock",
                                  "ipc_owner",
                                  "sys_module",
                                  "sys_rawio",
                                  "sys_chroot",
                                  "sys_ptrace",
                                  "sys_pacct",
                                  "sys_admin",
                                  "sys_boot",
                                  "sys_nice",
                                  "sys_resource",
                                  "sys_time",
                                  "sys_tty_config",
                                  "mknod",
                                  "lease",
                                  "audit_write",
                                  "audit_control",
                                  "setfcap",
                                  "mac_override",
                                  "mac_admin",
                                  "syslog",
                                  "wake_alarm",
                                  "block_suspend",
                                  "audit_read",
                                  "perfmon",
                                  "bpf",
                                  "checkpoint_restore"};
constexpr int kCount = static_cast<int>(sizeof kNames / sizeof *kNames);

} // namespace

std::optional<int> capability_from_name(std::string_view name) {
    int number = -1;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), number);
    if (ec == std::errc() && end == name.data() + name.size())
        return number >= 0 && number <= 63 ? std::optional<int>(number) : std::nullopt;
    std::string lower;
    for (char c : name)
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower.rfind("cap_", 0) == 0) lower.erase(0, 4);
    for (int i = 0; i < kCount; ++i)
        if (lower == kNames[i]) return i;
    return std::nullopt;
}

std::string capability_name(int cap) {
    return cap >= 0 && cap < kCount ? kNames[cap] : std::to_string(cap);
}

} // namespace bvisor
