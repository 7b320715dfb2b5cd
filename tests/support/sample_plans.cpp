// tests/support/sample_plans.cpp: see sample_plans.hpp.
#include "sample_plans.hpp"

#include <memory>

namespace bvisor::test {

namespace {
Digest filled(uint8_t b) {
    Digest d;
    d.fill(b);
    return d;
}
} // namespace

LaunchBody happy_body() {
    LaunchBody b;
    b.attempt_id = filled(7);
    b.plan_id = filled(1);
    b.h_a = filled(2);
    b.h_p = filled(3);
    b.lowering = {LoweringEntry::scrub(), LoweringEntry::exec()};
    b.descriptor_table = {DescriptorSlot{10, Role::TargetExe, Kind::Regular, false}};
    b.target.argv = {"true"};
    b.target.envp = {{"PATH", "/usr/bin"}};
    b.target.exe_slot = 10;
    b.bind_lowering();
    return b;
}

LaunchBody full_body() {
    LaunchBody b = happy_body();
    b.h_a = filled(0xa2); // digest bytes >= 0x80 take the `cc XX` form
    b.lowering = {LoweringEntry::scrub(), LoweringEntry::landlock(), LoweringEntry::seccomp(),
                  LoweringEntry::exec()};
    b.lowering[1].param_digest = filled(0xff);
    b.lowering[2].version = 300;
    b.descriptor_table = {
        DescriptorSlot{10, Role::TargetExe, Kind::Regular, false},
        DescriptorSlot{15, Role::ReadRoot, Kind::Directory, false},
        DescriptorSlot{16, Role::WriteRoot, Kind::Directory, false},
        DescriptorSlot{17, Role::CgroupDir, Kind::Directory, false},
        DescriptorSlot{1, Role::Stdout, Kind::Pipe, true},
    };
    b.target.argv = {"sh", "-c", "echo \"hello\" > /tmp/x", std::string(40, 'a')};
    b.target.envp = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C.UTF-8"}, {"GREETING", "h\xc3\xa9llo"}};
    b.target.user_namespace = true;
    b.target.network_namespace = true;
    b.target.seccomp = SeccompRequest{true, true};
    b.bind_lowering();
    return b;
}

LaunchBody extended_body() {
    LaunchBody b = full_body();
    b.lowering.push_back(LoweringEntry::hardening());
    b.descriptor_table.push_back(DescriptorSlot{18, Role::ReadRoot, Kind::Regular, false});
    b.descriptor_table.push_back(DescriptorSlot{19, Role::WriteRoot, Kind::CharDevice, false});
    b.target.keep_capabilities = (uint64_t{1} << 10) | (uint64_t{1} << 40) | (uint64_t{1} << 63);
    b.target.allow_abstract_unix = true;
    b.target.allow_signals = true;
    b.target.landlock_min_abi = 200; // 0xcc 0xc8: a u8 past the fixint range
    b.bind_lowering();
    return b;
}

codec::Status decode_status(const std::vector<uint8_t>& body) {
    static auto storage = std::make_unique<codec::PlanStorage>();
    codec::DecodedPlan d;
    return codec::decode_body(codec::Bytes{body.data(), body.size()}, storage.get(), &d);
}

} // namespace bvisor::test
