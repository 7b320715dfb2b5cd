// bvisor/plan_json.hpp: the JSON form of a launch body, as `bvisor-plan` reads and
// writes it.
//
// The top level is the body object; exactly the schema's keys (any order on input,
// schema order on output); digests are 64-character lowercase hex; enums are their
// names; envp is [[name, value], ...]; optional target fields are absent or objects
// ({} for the namespace requests, {"deny_new_tasks": b, "deny_inet_sockets": b} for
// seccomp); null is never a value. Errors throw bvisor::JsonError naming the field.
#pragma once

#include "error.hpp"

#include "plan.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace bvisor {

class JsonError : public Exception {
public:
    using Exception::Exception;
};

// One line, no trailing newline.
std::string to_json(const LaunchBody& body);

// `require_h_l = false` lets h_l be absent (the caller binds it: `--fix-hl`).
LaunchBody from_json(std::string_view text, bool require_h_l = true);

} // namespace bvisor
