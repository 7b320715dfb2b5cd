// bvisor/capabilities.hpp: Linux capability names and numbers, for plans that keep a
// capability (keep_capabilities, docs/PROTOCOL.md section 11.3).
//
// Names are the kernel's (include/uapi/linux/capability.h), lowercase without the CAP_
// prefix; lookups also accept "CAP_NAME", any case, and a plain number 0..63.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bvisor {

std::optional<int> capability_from_name(std::string_view name);
// "net_bind_service", or the number as text for one without a name here.
std::string capability_name(int cap);

} // namespace bvisor
