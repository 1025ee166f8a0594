// inspector/errors.h — the ways reading a process can fail, each with its own exit code
// in the CLI.
#pragma once

#include <stdexcept>
#include <string>

namespace gleak::inspector {

enum class ErrorCode {
  kNoSuchProcess = 3,  // no process and no arena file for that pid
  kNotGleak = 4,       // the process exists but runs no gleak runtime
  kPermission = 5,     // another user's process or file
  kCorrupt = 6,        // not an arena, a damaged one, or another layout version
  kIo = 7,             // any other failure to read
};

class InspectError : public std::runtime_error {
 public:
  InspectError(ErrorCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace gleak::inspector
