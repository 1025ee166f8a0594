// inspector/report/top.h — what `gleak top` shows, as a pure function of what was read.
//
// The terminal loop (cli/top.cc) reads the target once a second and hands a TopFrame
// to render_top(), which returns the lines of the screen. Everything shown is decided
// here, so it is tested without a terminal:
//
//   gleak top - pid 4242: ./server --port 80
//   goroutines 1012: running 2, runnable 0, waiting 1009, syscall 1
//   created 35.0/s, exited 34.0/s; read in 3ms
//   leaks: 3 proven (checked 4s ago, target stopped 2.1 ms; every 10s)   l: check now, q: quit
//
//    COUNT  STATE                     WAITED          FUNCTION
//     1000  chan receive              1m2s~1m5s       ingest_worker(gleak::Chan<Job>)  server.cc:42
//        3  chan send (leaked)        12m0s           publish(int)  server.cc:77        <- highlighted
//
// Rows are the buckets of group_goroutines() (identical stacks, status and creation
// site), largest first; a bucket's function is its first frame that is not gleak's.
// Rows whose goroutines are proven leaked (Goroutine::leaked) are highlighted.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "inspector/snapshot.h"

namespace gleak::inspector {

// TopFrame is one refresh of `gleak top`.
struct TopFrame {
  Snapshot snapshot;            // Goroutine::leaked set from the last leak check
  int64_t interval_ns = 0;      // since the previous refresh (0: the first; no rates yet)
  uint64_t created = 0;         // spawn events in that interval
  uint64_t exited = 0;          // exit events in that interval
  uint64_t lost = 0;            // ring events lost in it: the rates are then lower bounds
  int64_t read_ns = 0;          // how long reading the snapshot took (0: unknown)
  // The last leak check.
  bool leaks_checked = false;
  std::size_t leaks_proven = 0;
  int64_t leaks_age_ns = 0;     // how long ago it ran
  int64_t leaks_stopped_ns = 0; // how long it stopped the target
  int64_t leaks_every_ns = 0;   // 0: only when asked (key l)
  std::string leaks_error;      // why the last check failed, if it did
};

// TopLine is one line of the screen.
struct TopLine {
  std::string text;
  bool highlight = false;  // proven leaked: shown in reverse video
};

// render_top() is the screen for f, at most height lines of at most width bytes (a
// negative width or height: no limit). When the buckets do not fit, the last line
// says how many more there are.
std::vector<TopLine> render_top(const TopFrame& f, int width, int height);

// count_lifecycle() adds the spawn and exit events among events to *created, *exited.
void count_lifecycle(const std::vector<Event>& events, uint64_t* created, uint64_t* exited);

// mark_leaked_ids() sets Goroutine::leaked on the goroutines of s whose id is in ids
// and that still wait (a proven leak never ends; an id that runs again was not one).
void mark_leaked_ids(Snapshot& s, const std::set<uint64_t>& ids);

}  // namespace gleak::inspector
