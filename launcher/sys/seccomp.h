// launcher/sys/seccomp.h: seccomp(SECCOMP_SET_MODE_FILTER).
#pragma once

#include "arch_x86_64.h"

#include <linux/filter.h>
#include <linux/seccomp.h>

namespace bvisor::sys {

static inline long sys_seccomp_set_filter(const struct sock_fprog* prog) {
    return raw3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0L, arg(prog));
}

// 0 when this kernel's seccomp filters can return errnos (Linux 4.14+): a probe for
// whether a filter can be installed at all.
static inline long sys_seccomp_errno_available() {
    unsigned action = SECCOMP_RET_ERRNO;
    return raw3(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0L, arg(&action));
}

} // namespace bvisor::sys
