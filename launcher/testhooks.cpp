// launcher/testhooks.cpp: see testhooks.h.
#include "testhooks.h"

#include "env.h"

namespace bvisor::launcher {

#if defined(BVISOR_TEST_HOOKS)

namespace {

long number(char** envp, const char* name) {
    int value;
    return parse_fd(find_env(envp, name), &value) ? value : 0;
}

} // namespace

TestHooks read_test_hooks(char** envp) {
    TestHooks h;
    h.force_userns_map_fail = number(envp, "BVISOR_TEST_FORCE_USERNS_MAP_FAIL") == 1;
    h.window_pause_ms = number(envp, "BVISOR_TEST_WINDOW_PAUSE_MS");
    h.pause_after_reap_ms = number(envp, "BVISOR_TEST_PAUSE_AFTER_REAP_MS");
    h.stop_after_setsid = number(envp, "BVISOR_TEST_STOP_AFTER_SETSID") == 1;
    h.pause_before_child_note_ms = number(envp, "BVISOR_TEST_PAUSE_BEFORE_CHILD_NOTE_MS");
    return h;
}

#else

TestHooks read_test_hooks(char**) { return TestHooks{}; }

#endif

} // namespace bvisor::launcher
