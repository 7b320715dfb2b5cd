// bvisor/error.hpp: the host library's one error family. Every error it throws is a
// bvisor::Exception, so a tool catches one type and prints what(); the subclasses say
// which layer refused (and carry that layer's detail):
//   HostError  (unique_fd.hpp)   an operating-system step failed, with its errno;
//   CodecError (plan.hpp)        bytes the codec refused, with its Status;
//   JsonError  (plan_json.hpp)   a JSON plan that is not one, naming the field;
//   UsageError (run_options.hpp) a command line bvisor-run cannot take.
#pragma once

#include <stdexcept>
#include <string>

namespace bvisor {

class Exception : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace bvisor
