// tests/support/main.cpp: the Catch2 entry point of every bvisor test binary.
//
// Adds one listener that (1) prints each skipped test case with its reason, so a skip
// is never silent, and (2) ends the run with the line `N passed, N failed, N skipped`,
// counting test cases. tests/run sums those lines across binaries.
#include <catch2/catch_session.hpp>
#include <catch2/catch_test_case_info.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>

#include <csignal>
#include <cstdio>
#include <string>

namespace {

Catch::Counts g_cases;
bool g_have_totals = false;

class TallyListener : public Catch::EventListenerBase {
public:
    using Catch::EventListenerBase::EventListenerBase;

    void testCaseStarting(Catch::TestCaseInfo const& info) override { current_ = info.name; }

    void assertionEnded(Catch::AssertionStats const& stats) override {
        if (stats.assertionResult.getResultType() == Catch::ResultWas::ExplicitSkip) {
            std::fprintf(stderr, "SKIPPED %s: %s\n", current_.c_str(),
                         std::string(stats.assertionResult.getMessage()).c_str());
        }
    }

    void testRunEnded(Catch::TestRunStats const& stats) override {
        g_cases = stats.totals.testCases;
        g_have_totals = true;
    }

private:
    std::string current_;
};

} // namespace

CATCH_REGISTER_LISTENER(TallyListener)

int main(int argc, char** argv) {
    // A child that exits before reading all of its stdin must not kill the tests.
    std::signal(SIGPIPE, SIG_IGN);
    Catch::Session session;
    if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
    int rc = session.run();
    if (g_have_totals) {
        // Printed after Catch2's own summary so that it is the binary's last line.
        std::fflush(stderr);
        std::printf("%llu passed, %llu failed, %llu skipped\n",
                    static_cast<unsigned long long>(g_cases.passed),
                    static_cast<unsigned long long>(g_cases.failed + g_cases.failedButOk),
                    static_cast<unsigned long long>(g_cases.skipped));
        std::fflush(stdout);
    }
    return rc;
}
