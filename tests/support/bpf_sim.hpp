// tests/support/bpf_sim.hpp: a small classic-BPF interpreter for seccomp programs, to
// run the launcher's emitted filters on (arch, nr) inputs in user space.
//
// Implements the instructions seccomp filters use (ld abs, jumps with K operands,
// AND with K, ret K) and rejects anything else, out-of-range loads and jumps past the end.
#pragma once

#include "codec/seccomp_bpf.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace bvisor::test {

struct SeccompInput {
    uint32_t nr;
    uint32_t arch;
    uint64_t ip = 0;
    uint64_t args[6] = {};
};

// The filter's return value, or nullopt when the program is malformed.
std::optional<uint32_t> run_seccomp_bpf(const std::vector<codec::BpfInsn>& prog,
                                        const SeccompInput& in);

} // namespace bvisor::test
