// launcher/testhooks.h: fault injection for the tests, compiled in only by the test
// build (build/test/bvisor-linux-launcher-testhooks, -DBVISOR_TEST_HOOKS=1). In
// build/bin/bvisor-linux-launcher read_test_hooks() returns every hook off and reads
// no variable: none of their names is in that binary (a test checks it).
//
//   BVISOR_TEST_FORCE_USERNS_MAP_FAIL=1  the uid/gid map write fails
//   BVISOR_TEST_WINDOW_PAUSE_MS=N         the child sleeps N ms in its window, once its
//                                         signals are unblocked (a signal can land there)
//   BVISOR_TEST_PAUSE_AFTER_REAP_MS=N     the coordinator sleeps N ms after reaping the
//                                         workload (a signal can land there)
//   BVISOR_TEST_STOP_AFTER_SETSID=1       the child stops itself (SIGSTOP) just after its
//                                         setsid: where a stop sent to the launcher's
//                                         process group lands when it races the setsid
//   BVISOR_TEST_PAUSE_BEFORE_CHILD_NOTE_MS=N
//                                         the coordinator sleeps N ms after clone3, before
//                                         it says the child exists and its pid (a slow
//                                         parent: the workload runs before the host
//                                         knows its process group)
#pragma once

namespace bvisor::launcher {

struct TestHooks {
    bool force_userns_map_fail = false;
    long window_pause_ms = 0;
    long pause_after_reap_ms = 0;
    bool stop_after_setsid = false;
    long pause_before_child_note_ms = 0;
};

TestHooks read_test_hooks(char** envp);

} // namespace bvisor::launcher
