// cli/metrics.cc — see metrics.h.
#include "cli/metrics.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <tuple>
#include <utility>

namespace gleak::cli {
namespace {

namespace gi = gleak::inspector;

// The histogram's upper bounds, in seconds: from a blink to a day, where leaks live.
constexpr double kWaitBuckets[] = {0.1, 1, 10, 60, 300, 1800, 3600, 21600, 86400};

// number() is the shortest text that reads back as v ("0.1", not "0.10000000000000001").
std::string number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

std::string base_name(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Exposition writes the families one at a time: HELP and TYPE, then the samples.
class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // sample() writes `name{labels} value`; labels is "" or already `k="v",...`.
  void sample(const std::string& name, const std::string& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string label(const std::string& key, const std::string& value) {
  return key + "=\"" + escape_label_value(value) + "\"";
}

std::string process_labels(const ProcessEntry& p) {
  return label("pid", std::to_string(p.snap.pid)) + "," + label("exe", base_name(p.snap.exe));
}

void goroutines(Exposition& x, const std::vector<const ProcessEntry*>& live, const MetricsOptions& opt) {
  x.family("gleak_goroutines", "gauge",
           "Goroutines of a process by state, wait reason and goroutine labels (gleak::set_label).");
  using Labels = std::vector<std::pair<std::string, std::string>>;
  for (const ProcessEntry* p : live) {
    // Label sets beyond the limit are folded into the set without goroutine labels.
    std::map<std::pair<gi::GoroutineState, gi::WaitReason>, uint64_t> folded;
    std::vector<const gi::GoroutineGroup*> kept;
    std::size_t sets = 0;
    for (const gi::GoroutineGroup& g : p->snap.counts.groups) {
      if (!g.labels.empty() && sets >= opt.max_label_sets) {
        folded[{g.state, g.wait_reason}] += g.count;
        continue;
      }
      sets += !g.labels.empty();
      kept.push_back(&g);
    }
    std::string base = process_labels(*p);
    auto write = [&](gi::GoroutineState state, gi::WaitReason reason, const Labels& labels, uint64_t n) {
      std::string l = base + "," + label("state", arena::goroutine_state_name(state));
      if (reason != gi::WaitReason::kNone) l += "," + label("wait_reason", arena::wait_reason_name(reason));
      // A key the process spells two ways that clean up the same keeps the first.
      std::vector<std::string> names;
      for (const auto& [k, v] : labels) {
        std::string name = prometheus_label_name(k);
        if (std::find(names.begin(), names.end(), name) != names.end()) continue;
        names.push_back(name);
        l += "," + label(name, v);
      }
      x.sample("gleak_goroutines", l, static_cast<double>(n));
    };
    for (const gi::GoroutineGroup* g : kept) {
      uint64_t n = g->count;
      if (g->labels.empty()) {
        auto it = folded.find({g->state, g->wait_reason});
        if (it != folded.end()) {
          n += it->second;
          folded.erase(it);
        }
      }
      write(g->state, g->wait_reason, g->labels, n);
    }
    for (const auto& [key, n] : folded) write(key.first, key.second, {}, n);
  }
}

void wait_histogram(Exposition& x, const std::vector<const ProcessEntry*>& live) {
  x.family("gleak_goroutine_wait_seconds", "histogram",
           "How long the blocked goroutines of a process (waiting or in a system call) have waited.");
  constexpr std::size_t kBuckets = sizeof kWaitBuckets / sizeof kWaitBuckets[0];
  for (const ProcessEntry* p : live) {
    uint64_t in[kBuckets] = {};
    uint64_t count = 0;
    double sum = 0;
    for (int64_t ns : p->snap.counts.wait_ns) {
      double s = static_cast<double>(ns) / 1e9;
      ++count;
      sum += s;
      for (std::size_t i = 0; i < kBuckets; ++i) in[i] += s <= kWaitBuckets[i];
    }
    std::string base = process_labels(*p);
    for (std::size_t i = 0; i < kBuckets; ++i) {
      x.sample("gleak_goroutine_wait_seconds_bucket", base + "," + label("le", number(kWaitBuckets[i])),
               static_cast<double>(in[i]));
    }
    x.sample("gleak_goroutine_wait_seconds_bucket", base + ",le=\"+Inf\"", static_cast<double>(count));
    x.sample("gleak_goroutine_wait_seconds_sum", base, sum);
    x.sample("gleak_goroutine_wait_seconds_count", base, static_cast<double>(count));
  }
}

// total() writes one counter family of the live processes, from their totals.
template <class F>
void total(Exposition& x, const char* name, const char* help, const std::vector<const ProcessEntry*>& live, F value) {
  x.family(name, "counter", help);
  for (const ProcessEntry* p : live) x.sample(name, process_labels(*p), static_cast<double>(value(p->snap.totals)));
}

}  // namespace

std::string prometheus_label_name(const std::string& key) {
  std::string name = "label_" + key;
  for (std::size_t i = 6; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) name[i] = '_';
  }
  return name;
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_metrics(const std::vector<ProcessEntry>& processes, const std::map<int, LeakStats>& leaks,
                           const AgentCounters& agent, double collect_seconds, std::size_t skipped,
                           const MetricsOptions& opt) {
  Exposition x;
  std::vector<const ProcessEntry*> live;
  for (const ProcessEntry& p : processes) {
    if (p.live) live.push_back(&p);
  }

  x.family("gleak_process_up", "gauge", "1 for a running gleak process, 0 for an arena its process left behind.");
  for (const ProcessEntry& p : processes) x.sample("gleak_process_up", process_labels(p), p.live ? 1 : 0);
  x.family("gleak_process_crashed", "gauge",
           "1 when the process died of an unrecovered panic, a fatal signal or a global deadlock.");
  for (const ProcessEntry& p : processes) {
    x.sample("gleak_process_crashed", process_labels(p), p.snap.state == gi::ProcessState::kCrashed ? 1 : 0);
  }
  x.family("gleak_process_start_time_seconds", "gauge", "When the process started, in Unix time.");
  for (const ProcessEntry& p : processes) {
    x.sample("gleak_process_start_time_seconds", process_labels(p), static_cast<double>(p.snap.start_realtime_ns) / 1e9);
  }

  goroutines(x, live, opt);
  wait_histogram(x, live);
  total(x, "gleak_goroutines_created_total", "Goroutines started since the process started.", live,
        [](const gi::Totals& t) { return t.goroutines_created; });
  total(x, "gleak_goroutines_exited_total", "Goroutines that have ended since the process started.", live,
        [](const gi::Totals& t) { return t.goroutines_exited; });
  total(x, "gleak_events_lost_total",
        "Runtime events the process's rings overwrote (gleak trace can no longer see them); the totals above "
        "do not depend on them.",
        live, [](const gi::Totals& t) { return t.events_overwritten; });
  total(x, "gleak_panics_recovered_total", "Panics gleak::recover() stopped since the process started.", live,
        [](const gi::Totals& t) { return t.panics_recovered; });

  x.family("gleak_leaked_goroutines", "gauge",
           "Goroutines the last leak analysis found leaked, by certainty (proven or suspected).");
  for (const ProcessEntry* p : live) {
    auto it = leaks.find(p->snap.pid);
    if (it == leaks.end()) continue;
    std::string base = process_labels(*p);
    x.sample("gleak_leaked_goroutines", base + ",certainty=\"proven\"", static_cast<double>(it->second.proven));
    x.sample("gleak_leaked_goroutines", base + ",certainty=\"suspected\"", static_cast<double>(it->second.suspected));
  }
  x.family("gleak_leak_analysis_stop_seconds", "gauge", "How long the last leak analysis kept the process stopped.");
  for (const ProcessEntry* p : live) {
    if (auto it = leaks.find(p->snap.pid); it != leaks.end()) {
      x.sample("gleak_leak_analysis_stop_seconds", process_labels(*p), it->second.stop_seconds);
    }
  }
  x.family("gleak_leak_analysis_timestamp_seconds", "gauge", "When the last leak analysis of the process finished.");
  for (const ProcessEntry* p : live) {
    if (auto it = leaks.find(p->snap.pid); it != leaks.end()) {
      x.sample("gleak_leak_analysis_timestamp_seconds", process_labels(*p), it->second.timestamp_seconds);
    }
  }

  x.family("gleak_agent_processes", "gauge", "Arenas this scrape read: running processes and those left behind.");
  x.sample("gleak_agent_processes", "", static_cast<double>(processes.size()));
  x.family("gleak_agent_scrape_duration_seconds", "gauge", "How long this scrape took to read every arena.");
  x.sample("gleak_agent_scrape_duration_seconds", "", collect_seconds);
  x.family("gleak_agent_scrapes_total", "counter", "Scrapes of /metrics served.");
  x.sample("gleak_agent_scrapes_total", "", static_cast<double>(agent.scrapes));
  x.family("gleak_agent_scrape_errors_total", "counter", "Arenas skipped because they could not be read or trusted.");
  x.sample("gleak_agent_scrape_errors_total", "", static_cast<double>(agent.scrape_errors));
  x.family("gleak_agent_scrape_skipped", "gauge", "Arenas this scrape skipped.");
  x.sample("gleak_agent_scrape_skipped", "", static_cast<double>(skipped));
  x.family("gleak_agent_leak_analyses_total", "counter", "Leak analyses run.");
  x.sample("gleak_agent_leak_analyses_total", "", static_cast<double>(agent.leak_analyses));
  x.family("gleak_agent_leak_analysis_errors_total", "counter", "Leak analyses that failed (no permission to stop the process, ...).");
  x.sample("gleak_agent_leak_analysis_errors_total", "", static_cast<double>(agent.leak_analysis_errors));
  x.family("gleak_agent_requests_refused_total", "counter", "Requests the agent refused, by reason.");
  for (const auto& [reason, n] : agent.refused) {
    x.sample("gleak_agent_requests_refused_total", label("reason", reason), static_cast<double>(n));
  }
  return x.take();
}

}  // namespace gleak::cli
