// inspector/analyse/leaks.h — which goroutines can never finish, with the proof of each.
//
// find_leaks() runs the checks of one table (leaks.cc) over a Snapshot:
//
//   nil-channel      a send or receive on a nil channel never completes (proven)
//   select-no-cases  a select with no cases, or only nil channels, never completes (proven)
//   no-exit-path     the reachability fixpoint of Go's leak detector, over the target's
//                    memory (Snapshot::memory): the goroutines that can run (runnable,
//                    running, sleeping, in a system call, or waiting on something the
//                    analysis does not know) and all memory outside goroutine stacks —
//                    globals, thread stacks, registers, anonymous memory — are roots;
//                    everything they point to through glibc's heap is marked; a blocked
//                    goroutine whose object lies in marked memory can be completed, so
//                    it becomes a root too; repeat until nothing changes. A blocked
//                    goroutine left over is leaked: nothing that can still run holds a
//                    reference to what it waits for (proven; suspected when part of the
//                    memory could not be read).
//   blocked-long     blocked longer than LeakOptions::suspect_after on an object that is
//                    still reachable (suspected: someone may still complete it)
//   deadlock-cycle   among the leaked goroutines, cycles of "waits for what the next one
//                    holds": the lock's owner, or a goroutine whose stack, closure or the
//                    heap they reach refers to the object
//
// Scanning is conservative, like a garbage collector's: any word that looks like a
// pointer counts. A false pointer can only keep a goroutine alive (a leak is missed),
// never make one look leaked. What can make a proof wrong is a reference the analysis
// cannot see: a pointer stored encoded (XOR-ed, compressed, in the high bits of a tag),
// or kept only outside the process (a file, another process). docs/leaks.md says more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inspector/snapshot.h"

namespace gleak::inspector {

struct LeakOptions {
  // Blocked at least this long on an object something can still reach: suspected.
  // 0 turns the check off.
  int64_t suspect_after_ns = 10LL * 60 * 1000000000;
  // Leaked goroutines whose references are traced one by one (for the holders in each
  // proof and the cycles); the others are still reported, with fewer details.
  std::size_t max_holder_scans = 4096;
  // Explain this goroutine (0: none): why it is not leaked (LeakAnalysis::why).
  uint64_t why = 0;
};

// WhyStep is one link of the chain that keeps an object reachable.
struct WhyStep {
  std::string what;      // "heap block 0x… (48 bytes), at +16", "goroutine 1 [sleep] can run", …
  uint64_t address = 0;  // the word (or object) this step is about; 0 when none
};

// WhyAlive explains one goroutine: leaked, able to run, or kept able to run by a chain
// from a root (a goroutine that can run, a global, a thread's stack or register) to
// what it waits on.
struct WhyAlive {
  uint64_t goroutine = 0;
  bool leaked = false;
  std::string summary;
  std::vector<WhyStep> path;  // from the root to the object it waits on
};

enum class Certainty { kProven, kSuspected };

// WaitTarget is one object a blocked goroutine waits on (a select: one per case).
struct WaitTarget {
  uint64_t address = 0;           // 0: a nil channel
  int object = -1;                // index in Snapshot::objects, -1 when unknown
  bool reachable = false;         // something that can still run refers to it
  std::vector<uint64_t> holders;  // leaked goroutines that refer to it (themselves excluded)
  bool held_by_self = false;      // the waiting goroutine refers to it itself
  uint64_t owner = 0;             // a Mutex: the goroutine holding it (0: none known)
  // Dead stack slots (frame_roots.h) of goroutines that can run that still hold its
  // address: stale copies the analysis did not count, e.g. "goroutine 1, frame main,
  // variable `acct` (declared at server.cc:35, in a scope that has ended (…)) still
  // holds 0x7f…, a stale copy".
  std::vector<std::string> stale;
};

// CheckId is one check of the table above, in the order they run.
enum class CheckId { kNilChannel, kSelectNoCases, kNoExitPath, kBlockedLong, kDeadlockCycle };

// check_name() is its name in reports and JSON: "nil-channel", "no-exit-path", ...
const char* check_name(CheckId c);

struct LeakVerdict {
  uint64_t goroutine = 0;
  Certainty certainty = Certainty::kProven;
  CheckId check = CheckId::kNoExitPath;  // the check that found it
  std::string reason;             // why it can never finish, in one or two sentences
  std::vector<WaitTarget> waits;
};

struct CycleStep {
  uint64_t goroutine = 0;
  WaitTarget waits_for;
  uint64_t blocked_by = 0;        // the next goroutine of the cycle
  bool by_lock_owner = false;     // blocked_by holds the lock (else: refers to the object)
};

struct DeadlockCycle {
  std::vector<CycleStep> steps;   // goroutine i waits for steps[i+1].goroutine
};

struct LeakAnalysis {
  bool memory_analysed = false;   // the no-exit-path check ran
  bool complete = true;           // every mapping that may hold a reference was read, with the target stopped
  std::vector<LeakVerdict> findings;  // by goroutine id
  std::vector<DeadlockCycle> cycles;
  std::vector<uint64_t> can_run;      // goroutines that can run on their own (the roots)
  std::vector<std::string> notes;     // what limited the analysis
  uint64_t bytes_scanned = 0;
  uint64_t heap_blocks = 0;
  uint64_t heap_blocks_marked = 0;
  int64_t analysis_ns = 0;
  std::optional<WhyAlive> why;        // LeakOptions::why's explanation

  std::size_t count(Certainty c) const;
  const LeakVerdict* find(uint64_t goroutine) const;
};

LeakAnalysis find_leaks(const Snapshot& s, const LeakOptions& opt = {});

// mark_leaked() sets Goroutine::leaked on the goroutines proven leaked.
void mark_leaked(Snapshot& s, const LeakAnalysis& r);

// innermost_own_function() is the function of the first frame that is not gleak's (the first
// frame a dump prints), or "" when there is none.
std::string innermost_own_function(const Goroutine& g);

}  // namespace gleak::inspector
