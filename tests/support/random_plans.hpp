// tests/support/random_plans.hpp: random but wire-valid launch bodies (within the limits
// of PROTOCOL.md section 3), covering every integer and string width boundary, unicode,
// control characters and every optional field.
#pragma once

#include "bvisor/plan.hpp"

#include <random>

namespace bvisor::test {

LaunchBody random_body(std::mt19937_64& rng);

} // namespace bvisor::test
