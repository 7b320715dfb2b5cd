// bvisor/version.hpp: the project version, shown by the tools' --version.
#pragma once

namespace bvisor {
inline constexpr const char* kVersion = "0.1.0";
} // namespace bvisor
