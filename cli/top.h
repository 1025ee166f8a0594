// cli/top.h — the terminal loop of `gleak top`; what it shows is inspector/report/top.h's.
#pragma once

#include <cstdint>
#include <string>

namespace gleak::cli {

struct TopOptions {
  int64_t refresh_ns = 1'000'000'000;
  // The leak analysis stops the target and copies its memory: it runs on the first
  // refresh, then this often (0: only when the l key is pressed, never on its own).
  int64_t leaks_every_ns = 10'000'000'000;
  // Refreshes before exiting (0: until q or Ctrl-C). When stdout is not a terminal,
  // the default is one: a plain-text report after one refresh interval.
  long iterations = -1;
  // The pid here of the process shown (ReadOptions::host_pid); 0: its arena's.
  int host_pid = 0;
};

// run_top() shows the process whose arena is at path until q, Ctrl-C, the iteration
// count or the end of the process; returns the exit status. Throws InspectError when
// the target cannot be read at all.
int run_top(const std::string& path, const TopOptions& opt);

}  // namespace gleak::cli
