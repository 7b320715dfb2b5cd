// tests/support/bpf_sim.cpp: see bpf_sim.hpp. Opcode layout from the classic BPF
// definition: class (low 3 bits), size, mode, and for jumps the operation and source.
#include "bpf_sim.hpp"

#include <cstring>

namespace bvisor::test {

std::optional<uint32_t> run_seccomp_bpf(const std::vector<codec::BpfInsn>& prog,
                                        const SeccompInput& in) {
    // struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6].
    uint8_t data[64];
    std::memcpy(data + 0, &in.nr, 4);
    std::memcpy(data + 4, &in.arch, 4);
    std::memcpy(data + 8, &in.ip, 8);
    std::memcpy(data + 16, in.args, 48);
    uint32_t acc = 0;
    size_t pc = 0;
    for (size_t steps = 0; steps <= prog.size(); ++steps) {
        if (pc >= prog.size()) return std::nullopt;
        const auto& i = prog[pc];
        uint16_t cls = i.code & 0x07;
        if (cls == 0x00) {                                                       // BPF_LD
            if (i.code != 0x20 || i.k % 4 != 0 || i.k > 60) return std::nullopt; // W | ABS only
            std::memcpy(&acc, data + i.k, 4);
            ++pc;
        } else if (cls == 0x05) { // BPF_JMP
            uint16_t op = i.code & 0xf0;
            if ((i.code & 0x08) != 0) return std::nullopt; // BPF_X: no index register here
            bool taken;
            switch (op) {
            case 0x00:
                pc += 1 + i.k;
                continue; // JA
            case 0x10:
                taken = acc == i.k;
                break; // JEQ
            case 0x20:
                taken = acc > i.k;
                break; // JGT
            case 0x30:
                taken = acc >= i.k;
                break; // JGE
            case 0x40:
                taken = (acc & i.k) != 0;
                break; // JSET
            default:
                return std::nullopt;
            }
            pc += 1 + (taken ? i.jt : i.jf);
        } else if (cls == 0x04) { // BPF_ALU: AND with a constant only
            if (i.code != 0x54) return std::nullopt;
            acc &= i.k;
            ++pc;
        } else if (cls == 0x06) {                    // BPF_RET
            if (i.code != 0x06) return std::nullopt; // K only
            return i.k;
        } else {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

} // namespace bvisor::test
