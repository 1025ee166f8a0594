// inspector/analyse/gate.h — `gleak run`: run a command, check every gleak program it starts
// when that program ends, and judge (docs/ci.md).
//
// run_gate() runs the command with a private arena directory and GLEAK_GATE set to the
// path of a Unix socket. Every gleak program among the command and its descendants
// inherits both; at exit (exit() or main's return) its runtime lets running goroutines
// settle, connects to the socket and waits (core/exit_check.cc). The gate then reads it as
// `gleak leaks` does — stopped, with its memory — records the goroutines still alive
// and the proven leaks, and lets it exit. Programs that die instead (an unrecovered
// panic, a global deadlock, a fatal signal) leave their arena in the directory with a
// crash record; the gate reads those after the command ends.
//
// Every finding has a signature that survives rebuilds and reruns: its kind, the wait
// reason, the function that started the goroutine and the function it is blocked in
// (for a crash: the message's first line and the function that crashed) — never ids,
// addresses or line numbers. A baseline is a set of signatures: findings in it are
// reported but do not fail the gate.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace gleak::inspector {

enum class FindingKind {
  kLeak,      // a goroutine proven leaked when its program ended
  kLeft,      // a goroutine still alive when its program ended, not proven leaked
  kDeadlock,  // the program died of a global deadlock
  kPanic,     // the program died of an unrecovered panic or another fatal error
};

// finding_kind_name() is "leak", "left", "deadlock" or "panic".
const char* finding_kind_name(FindingKind k);

struct GateFinding {
  FindingKind kind = FindingKind::kLeak;
  int pid = 0;
  std::string program;            // the program's command line
  std::string signature;          // see above; tab-separated fields
  std::string summary;            // one line, e.g. "3 goroutines leaked in chan send, in worker(...)"
  std::string details;            // the dump (and for leaks the proof), as text
  std::vector<uint64_t> goroutines;
  std::string wait_reason;        // leaks and goroutines left
  std::string function;           // blocked in (leaks, left) or crashed in (panic, deadlock)
  std::string created_by;
  std::string message;            // the crash message (panic, deadlock)
  bool in_baseline = false;
};

struct GateProcess {
  int pid = 0;
  std::string program;
  bool checked_at_exit = false;   // read in its exit check
  bool crashed = false;           // died and left a crash record
  int goroutines_left = 0;
  int leaks_proven = 0;
  std::string note;               // why it could not be checked, if it could not
};

struct GateOptions {
  bool strict = false;            // any goroutine left at exit fails
  std::set<std::string> baseline; // signatures that do not fail
};

struct GateResult {
  std::vector<std::string> command;
  bool started = false;           // false: the command could not be run (see error)
  std::string error;
  int command_status = 0;         // its exit status, or 128 + the signal that killed it
  std::vector<GateProcess> processes;
  std::vector<GateFinding> findings;
  std::vector<std::string> warnings;
  int exit_code = 0;              // gate_exit_code()
};

// Exit codes of `gleak run` and `gleak baseline` (beside the CLI's 2-7).
inline constexpr int kGateClean = 0;
inline constexpr int kGateCommandFailed = 1;  // no finding, but the command itself failed
inline constexpr int kGateNotRun = 8;         // the command could not be started
inline constexpr int kGateLeaks = 10;
inline constexpr int kGateDeadlock = 11;
inline constexpr int kGatePanic = 12;
inline constexpr int kGateLeft = 13;          // --strict: goroutines left at exit

// run_gate() runs command (argv, looked up in PATH) and checks it. Its standard
// streams are the caller's. Throws InspectError(kIo) when the gate cannot be set up.
GateResult run_gate(const std::vector<std::string>& command, const GateOptions& opt);

// gate_exit_code() is the verdict: the first that applies of panic (12), deadlock
// (11), proven leak (10), with strict any goroutine left (13), not started (8), the
// command failed (1), clean (0). Findings in the baseline are not counted.
int gate_exit_code(const GateResult& r, const GateOptions& opt);

// read_baseline() reads a baseline file: one signature per line; blank lines and
// lines starting with '#' are skipped. Throws InspectError(kIo) if it cannot be read.
std::set<std::string> read_baseline(const std::string& path);
}  // namespace gleak::inspector
