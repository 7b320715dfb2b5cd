// launcher/env.cpp: see env.h.
#include "env.h"

namespace bvisor::launcher {

const char* find_env(char** envp, const char* name) {
    for (; envp && *envp; ++envp) {
        const char* e = *envp;
        const char* n = name;
        while (*n && *e == *n)
            ++e, ++n;
        if (*n == '\0' && *e == '=') return e + 1;
    }
    return nullptr;
}

bool parse_fd(const char* text, int* ret_fd) {
    if (!text) return false;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
    const char* p = text;
    while (blank(*p))
        ++p;
    long value = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; ++p, ++digits) {
        value = value * 10 + (*p - '0');
        if (value > 2147483647L) return false;
    }
    while (blank(*p))
        ++p;
    if (digits == 0 || *p != '\0') return false;
    *ret_fd = static_cast<int>(value);
    return true;
}

} // namespace bvisor::launcher
