// cli/metrics.h — the processes `gleak agent` watches, in the Prometheus text exposition
// format (version 0.0.4).
//
// Everything here is read from the arenas without stopping a process, except the leak
// counts, which come from the agent's periodic leak analyses (LeakStats). The families
// and their labels are listed in docs/fleet.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli/ps.h"

namespace gleak::cli {

// LeakStats is the last leak analysis of one process.
struct LeakStats {
  uint64_t proven = 0;
  uint64_t suspected = 0;
  double stop_seconds = 0;      // how long the analysis kept the process stopped
  double analysis_seconds = 0;  // the whole analysis, reading included
  double timestamp_seconds = 0; // when it finished (Unix time)
};

// AgentCounters are the agent's own counts, since it started.
struct AgentCounters {
  uint64_t scrapes = 0;
  uint64_t scrape_errors = 0;          // arenas skipped or unreadable, over all scrapes
  uint64_t leak_analyses = 0;
  uint64_t leak_analysis_errors = 0;
  std::map<std::string, uint64_t> refused;  // requests refused, by reason
};

struct MetricsOptions {
  // At most this many goroutine label sets per process in gleak_goroutines; the
  // goroutines of further sets are counted without their goroutine labels.
  std::size_t max_label_sets = 100;
};

// render_metrics() is the exposition of these processes (the dead ones only as
// gleak_process_crashed and gleak_process_up), their leak analyses by pid, the
// agent's counters, and how long collecting took (skipped: what list_processes()
// skipped in this scrape).
std::string render_metrics(const std::vector<ProcessEntry>& processes, const std::map<int, LeakStats>& leaks,
                           const AgentCounters& agent, double collect_seconds, std::size_t skipped,
                           const MetricsOptions& opt = {});

// prometheus_label_name() makes a goroutine label's key a valid Prometheus label name:
// "label_" and the key, with every character outside [A-Za-z0-9_] made '_'.
std::string prometheus_label_name(const std::string& key);

// escape_label_value() escapes backslash, double quote and newline, as the format asks.
std::string escape_label_value(const std::string& value);

}  // namespace gleak::cli
