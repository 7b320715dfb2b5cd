// launcher/sys/seccomp.h: seccomp(SECCOMP_SET_MODE_FILTER).
#pragma once

#include "arch_x86_64.h"

#include <linux/filter.h>
#include <linux/seccomp.h>

namespace bvisor::sys {

static inline long sys_seccomp_set_filter(const struct sock_fprog* prog) {
    return raw3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0L, arg(prog));
}

} // namespace bvisor::sys
