// inspector/report/trace.h — the event rings as a timeline: Chrome Trace Event JSON that
// Perfetto (ui.perfetto.dev) and chrome://tracing open.
//
// What the trace shows (docs/trace.md has the details and the limits):
//
// - one track (a "thread" of the target's "process") per goroutine, named
//   `g7 worker(int)`: its id and the function it started in, or, for a goroutine whose
//   stack was never read (it started and ended during a live trace), where it was
//   created: `g418 created by main()`; `g418` alone when neither is known;
// - on each track, complete events ("X") that never overlap: `running` while the
//   goroutine can run (the runtime records no event when a runnable goroutine is
//   picked up, so this includes time spent waiting for a worker), and one span per
//   blocked period named by its wait reason (`chan receive`, `sync.Mutex.Lock`, ...);
// - flow arrows ("s"/"f") from the goroutine that ran `go` to the goroutine it started,
//   and from a goroutine that unblocked another to the one it woke;
// - instant markers ("i") for panics, recovers and WaitGroup joins;
// - a counter track ("C") of runnable and blocked goroutines;
// - the events lost to ring overflow, in `otherData` and in the process name.
//
// Timestamps are the workers' coarse clocks (a few milliseconds of resolution, and a
// worker's clock may lag by one run of a goroutine), so raw event times from different
// workers can contradict the order in which things must have happened. Each
// goroutine's events are therefore put in causal order first (a goroutine must park
// before it can be unparked), then its span boundaries are made strictly increasing:
// a boundary earlier than the previous one is moved to just after it.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "inspector/snapshot.h"

namespace gleak::inspector {

// TraceGoroutine is what was known of a goroutine at the start of a live trace.
struct TraceGoroutine {
  uint64_t id = 0;
  GoroutineState state = GoroutineState::kFree;
  WaitReason wait_reason = WaitReason::kNone;
  uint64_t wait_object = 0;
};

// TraceInput is everything a trace is made of; record_trace() and
// trace_from_snapshot() fill it, tests may build one by hand.
struct TraceInput {
  int pid = 0;
  std::string cmdline;
  bool flight_recorder = false;         // from a dead process's arena: what its rings held
  int64_t start_ns = 0;                 // the window, CLOCK_MONOTONIC_COARSE; 0: from the events
  int64_t end_ns = 0;
  std::vector<Event> events;            // any order
  uint64_t events_lost = 0;             // overwritten in the rings before they were read
  uint64_t events_dropped = 0;          // read, but left out to keep the trace under its cap
  std::vector<TraceGoroutine> at_start; // states at start_ns (a live trace)
  std::map<uint64_t, std::string> functions;  // the function each goroutine started in
  std::map<uint64_t, std::string> labels;     // its labels (format_labels()), when it has any
  std::optional<Crash> crash;
  std::vector<std::string> notes;       // said in the trace's metadata and by the CLI
};

// TraceOptions bound the size of a trace so that a viewer can still open it.
struct TraceOptions {
  // At most this many ring events are turned into trace events (the most recent are
  // kept): each yields one to three trace events of about 150 bytes.
  std::size_t max_events = 250'000;
  // At most this many goroutine tracks: those with the most recent events are kept.
  // The counter track still counts every goroutine.
  std::size_t max_goroutines = 5'000;
  // The pid here of the process traced (ReadOptions::host_pid); 0: its arena's.
  int host_pid = 0;
};

// TraceSummary says what a written trace holds.
struct TraceSummary {
  std::size_t goroutines = 0;        // goroutines seen
  std::size_t tracks = 0;            // goroutine tracks written
  std::size_t spans = 0;
  std::size_t flows = 0;
  std::size_t instants = 0;
  std::size_t counters = 0;
  std::size_t events_used = 0;       // ring events turned into the trace
  uint64_t events_lost = 0;
  uint64_t events_dropped = 0;       // over max_events (while following, or here)
  std::size_t out_of_order = 0;      // events that contradicted their goroutine's state
  std::vector<std::string> notes;    // including why the trace was capped, if it was
};

// write_trace() writes in as Trace Event JSON (the object form, with `traceEvents`,
// `displayTimeUnit` and `otherData`) to out. Throws InspectError(kIo) if writing fails.
TraceSummary write_trace(const TraceInput& in, const TraceOptions& opt, std::FILE* out);

// trace_from_snapshot() is the flight recorder: the events a snapshot read from a dead
// process (or any snapshot read with ReadOptions::events) holds, with its goroutines'
// functions and crash.
TraceInput trace_from_snapshot(const Snapshot& s);

// record_trace() follows the rings of the live process whose arena is at path for
// duration_ns (until *stop becomes true, or the process ends), reading them every
// poll_ns; the goroutines' functions come from a dump taken at the start and one at
// the end (without stopping the target), and the creation sites of goroutines started
// meanwhile from the goroutine table, read at each poll. When the process is not
// alive, it is the flight recorder of what its arena holds. Throws InspectError.
TraceInput record_trace(const std::string& path, int64_t duration_ns, const TraceOptions& opt,
                        const std::atomic<bool>* stop = nullptr, int64_t poll_ns = 10'000'000);

// outermost_own_function() is the function g started in: the outermost frame of its stack
// that is not gleak's own, or "" when its stack is unknown.
std::string outermost_own_function(const Goroutine& g);

}  // namespace gleak::inspector
