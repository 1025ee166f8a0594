// gleak/leaks.h — find_leaks(): the leak analysis of `gleak leaks`, run on this process.
//
// The analysis needs a consistent image of the process's memory and every thread's
// registers, which a process cannot take of itself while it runs. find_leaks() therefore
// starts the gleak command (`gleak leaks <this pid> --json`) as a child process, which
// stops this process for the copy (ptrace), analyses it and reports back; the calling
// goroutine waits in state `syscall` meanwhile (see docs/leaks.md). The command is
// looked up as $GLEAK_CLI, then where this build of gleak put it, then where it is
// installed, then on $PATH.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace gleak {

enum class LeakCertainty {
  kProven,     // no exit path: nothing that can still run can complete the wait
  kSuspected,  // blocked long, or the proof could not be completed
};

// LeakFinding is one goroutine found leaked (or suspected to be).
struct LeakFinding {
  uint64_t goroutine = 0;
  LeakCertainty certainty = LeakCertainty::kSuspected;
  std::string check;        // "no-exit-path", "nil-channel", "select-no-cases", "blocked-long"
  std::string reason;       // why, in one sentence
  std::string status;       // as in a dump: "chan send (leaked), 2 minutes"
  std::string wait_reason;  // "chan send"
  std::string function;     // the goroutine's own function (its outermost user frame)
  uint64_t parent = 0;      // the goroutine that started it (0: a plain thread)
};

// LeakReport is what find_leaks() found.
struct LeakReport {
  // complete: the whole memory was read from a stopped image, so proofs hold. When it
  // is false, every no-exit-path finding is only suspected.
  bool complete = false;
  std::vector<LeakFinding> findings;
  std::size_t cycles = 0;  // deadlock cycles among the leaked goroutines
  std::string text;        // the report as `gleak leaks` prints it, proofs included
  std::string json;        // the same as JSON (schema gleak.leaks, docs/json-schema.md)

  // proven() is true when goroutine id is proven leaked.
  bool proven(uint64_t goroutine) const;
  std::size_t count(LeakCertainty certainty) const;
};

struct FindLeaksOptions {
  // Blocked at least this long on an object something can still reach: suspected.
  // Zero turns the check off.
  std::chrono::nanoseconds suspect_after = std::chrono::minutes(10);
  // The analysis runs in a child process (the gleak command); one that takes longer
  // than this is killed, the process goes on, and find_leaks() throws.
  std::chrono::nanoseconds timeout = std::chrono::minutes(2);
};

// LeakAnalysisError: the analysis could not be run (no gleak command, the process may
// not be traced, ...). what() says why.
class LeakAnalysisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// find_leaks() analyses this process as `gleak leaks` would and returns the findings.
// The goroutines the caller can still reach from its own stack count as reachable: a
// goroutine blocked on a channel the caller holds is not leaked. May be called from
// goroutines and plain threads; calls are serialised. Throws LeakAnalysisError.
LeakReport find_leaks(const FindLeaksOptions& options = {});

}  // namespace gleak
