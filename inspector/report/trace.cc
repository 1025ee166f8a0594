// inspector/report/trace.cc — see trace.h.
#include "inspector/report/trace.h"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "inspector/errors.h"
#include "inspector/read/arena_file.h"
#include "inspector/read/event_follow.h"
#include "inspector/read/reader.h"
#include "inspector/report/report_text.h"
#include "inspector/read/symbols.h"

namespace gleak::inspector {

using arena::EventKind;

namespace {

// Span boundaries on one track are at least this far apart, so that every span has a
// strict inside for flows to bind to (and a width a viewer can show).
constexpr int64_t kMinSpanNs = 10;
// Counter samples per trace, at most: the counter is sampled at the end of each of
// this many equal slices of the window.
constexpr int64_t kCounterSlices = 20'000;

enum class Phase { kUnknown, kRunning, kBlocked, kDone };

struct Span {
  int64_t start = 0;
  int64_t end = 0;
  bool running = false;
  WaitReason reason = WaitReason::kNone;
  uint64_t object = 0;
  uint64_t woken_by = 0;  // running: the goroutine that unparked it (0: none or a thread)
  bool inferred = false;  // began before the first event of the goroutine
};

struct Instant {
  int64_t ts = 0;
  EventKind kind = EventKind::kPanic;
  uint64_t arg = 0;
};

// FlowEnd is an arrow into a track: from `from` at raw time `at` to span `span`.
struct FlowEnd {
  uint64_t from = 0;
  int64_t at = 0;
  std::size_t span = 0;
  bool spawn = false;
};

struct Track {
  uint64_t id = 0;
  std::vector<Span> spans;
  std::vector<Instant> instants;
  std::vector<FlowEnd> flows_in;
  int64_t last_event = 0;
  std::size_t events = 0;
  bool open_at_end = false;  // its last span lasts until the end of the window
};

int64_t coarse_now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// TimelineBuilder turns one goroutine's events into spans.
class TimelineBuilder {
 public:
  TimelineBuilder(Track& t, int64_t window_start) : t_(t), start_(window_start), last_(window_start - kMinSpanNs) {}

  void begin(const TraceGoroutine& g) {
    if (g.state == GoroutineState::kWaiting || g.state == GoroutineState::kSyscall) {
      open(start_, false, g.wait_reason, g.wait_object, true);
    } else if (g.state == GoroutineState::kRunnable || g.state == GoroutineState::kRunning) {
      open(start_, true, WaitReason::kNone, 0, true);
    }
    from_table_ = !t_.spans.empty();
  }

  // valid() says whether an event of this kind can come next, given the state.
  bool valid(EventKind k) const {
    switch (k) {
      case EventKind::kSpawn: return phase_ == Phase::kUnknown;
      case EventKind::kUnpark: return phase_ == Phase::kBlocked || phase_ == Phase::kUnknown;
      default: return phase_ == Phase::kRunning || phase_ == Phase::kUnknown;
    }
  }

  // apply() records e; false when it contradicted the state (it is still applied, as
  // well as it can be: events were lost around it).
  bool apply(const Event& e) {
    // While the goroutine is still in the state the goroutine table gave at the start,
    // an event that state already reflects is a repeat, not a contradiction: the table
    // is read just after the rings' positions are taken.
    bool ok = valid(e.kind) || (from_table_ && t_.spans.size() == 1);
    ++t_.events;
    t_.last_event = std::max(t_.last_event, e.time_ns);
    if (phase_ == Phase::kDone) return false;
    switch (e.kind) {
      case EventKind::kSpawn:
        if (phase_ == Phase::kUnknown) {
          open(boundary(e.time_ns), true, WaitReason::kNone, 0, false);
          // Started by a plain thread (parent 0): no goroutine to draw the arrow from.
          if (e.arg != 0) t_.flows_in.push_back({e.arg, e.time_ns, t_.spans.size() - 1, true});
        }
        break;
      case EventKind::kPark: {
        if (phase_ == Phase::kBlocked && from_table_ && t_.spans.size() == 1 && t_.spans.back().object == e.arg) break;
        if (phase_ == Phase::kUnknown) open(start_, true, WaitReason::kNone, 0, true);
        int64_t b = boundary(e.time_ns);
        close(b);
        auto reason = static_cast<WaitReason>(e.aux);
        open(b, false, reason, e.arg, false);
        break;
      }
      case EventKind::kUnpark: {
        if (phase_ == Phase::kRunning) break;  // already runnable: a duplicate
        if (phase_ == Phase::kUnknown) open(start_, false, WaitReason::kNone, 0, true);
        int64_t b = boundary(e.time_ns);
        close(b);
        open(b, true, WaitReason::kNone, 0, false);
        t_.spans.back().woken_by = e.arg;
        if (e.arg != 0) t_.flows_in.push_back({e.arg, e.time_ns, t_.spans.size() - 1, false});
        break;
      }
      case EventKind::kExit:
        if (phase_ == Phase::kUnknown) open(start_, true, WaitReason::kNone, 0, true);
        close(boundary(e.time_ns));
        phase_ = Phase::kDone;
        break;
      case EventKind::kPanic:
      case EventKind::kRecover:
      case EventKind::kJoin:
        if (phase_ == Phase::kUnknown) open(start_, true, WaitReason::kNone, 0, true);
        t_.instants.push_back({std::max(e.time_ns, t_.spans.back().start), e.kind, e.arg});
        break;
    }
    return ok;
  }

  // finish() closes the open span at the end of the window (or just after its start).
  int64_t finish(int64_t end) {
    if (phase_ == Phase::kRunning || phase_ == Phase::kBlocked) {
      close(std::max(end, last_ + kMinSpanNs));
      t_.open_at_end = true;
    }
    phase_ = Phase::kDone;
    return t_.spans.empty() ? end : t_.spans.back().end;
  }

 private:
  // boundary() is t, moved after the previous boundary if it is not already.
  int64_t boundary(int64_t t) {
    last_ = std::max({t, start_, last_ + kMinSpanNs});
    return last_;
  }
  void open(int64_t at, bool running, WaitReason reason, uint64_t object, bool inferred) {
    Span s;
    s.start = at;
    s.running = running;
    s.reason = reason;
    s.object = object;
    s.inferred = inferred;
    t_.spans.push_back(s);
    last_ = std::max(last_, at);
    phase_ = running ? Phase::kRunning : Phase::kBlocked;
  }
  void close(int64_t at) {
    if (phase_ != Phase::kRunning && phase_ != Phase::kBlocked) return;
    t_.spans.back().end = at;
  }

  Track& t_;
  int64_t start_;
  int64_t last_;
  Phase phase_ = Phase::kUnknown;
  bool from_table_ = false;  // the first span is the state the goroutine table gave
};

// causal_order() is a goroutine's events in an order that can have happened: each
// worker's events stay in the order the worker wrote them, and among the next events
// of each worker the earliest one its state allows goes first.
std::vector<const Event*> causal_order(std::vector<const Event*>& evs, TimelineBuilder& tl) {
  std::stable_sort(evs.begin(), evs.end(), [](const Event* a, const Event* b) {
    return a->worker != b->worker ? a->worker < b->worker : a->position < b->position;
  });
  // One run per worker: [begin, end) in evs.
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    if (i == 0 || evs[i]->worker != evs[i - 1]->worker) runs.push_back({i, i});
    runs.back().second = i + 1;
  }
  std::vector<const Event*> out;
  out.reserve(evs.size());
  // The state machine is advanced here as well: which event may come next depends on
  // the ones before. The caller applies `out` to a fresh builder.
  while (out.size() < evs.size()) {
    // A goroutine's spawn comes before anything else it does, whatever the clocks say;
    // then any event its state allows; an event it does not allow only when nothing
    // else is left.
    std::size_t best = runs.size();
    int best_rank = -1;
    for (std::size_t r = 0; r < runs.size(); ++r) {
      if (runs[r].first == runs[r].second) continue;
      const Event* e = evs[runs[r].first];
      int rank = e->kind == EventKind::kSpawn && tl.valid(e->kind) ? 2 : tl.valid(e->kind) ? 1 : 0;
      if (rank > best_rank || (rank == best_rank && e->time_ns < evs[runs[best].first]->time_ns)) {
        best = r;
        best_rank = rank;
      }
    }
    const Event* e = evs[runs[best].first++];
    tl.apply(*e);
    out.push_back(e);
  }
  return out;
}

std::string us(int64_t ns, int64_t origin) {
  char buf[32];
  int64_t d = ns - origin;
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%03" PRId64, d / 1000, d % 1000);
  return buf;
}

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

std::string span_name(const Span& s) {
  if (s.running) return "running";
  const char* r = arena::wait_reason_name(s.reason);
  return r[0] ? r : "waiting";
}

// Writer collects the trace's text and writes it out in large pieces.
class Writer {
 public:
  explicit Writer(std::FILE* out) : out_(out) {}
  void event(const std::string& json) {
    buf_ += first_ ? "\n" : ",\n";
    first_ = false;
    buf_ += json;
    if (buf_.size() > (1 << 20)) flush();
  }
  void raw(const std::string& s) { buf_ += s; }
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) {
      throw InspectError(ErrorCode::kIo, std::string("writing the trace failed: ") + std::strerror(errno));
    }
    buf_.clear();
  }

 private:
  std::FILE* out_;
  std::string buf_;
  bool first_ = true;
};

// running_span_at() is the index of the running span of t that holds time at, or the
// nearest running one; spans.size() when it has none.
std::size_t running_span_at(const Track& t, int64_t at) {
  auto it = std::upper_bound(t.spans.begin(), t.spans.end(), at, [](int64_t x, const Span& s) { return x < s.start; });
  std::size_t i = it == t.spans.begin() ? 0 : static_cast<std::size_t>(it - t.spans.begin()) - 1;
  std::size_t best = t.spans.size();
  int64_t best_gap = 0;
  // Clocks differ between workers by about one run of a goroutine: the nearest running
  // span is looked for a few spans either side.
  std::size_t lo = i >= 4 ? i - 4 : 0, hi = std::min(t.spans.size(), i + 5);
  for (std::size_t k = lo; k < hi; ++k) {
    const Span& s = t.spans[k];
    if (!s.running) continue;
    int64_t gap = at < s.start ? s.start - at : at > s.end ? at - s.end : 0;
    if (best == t.spans.size() || gap < best_gap) {
      best = k;
      best_gap = gap;
    }
  }
  return best;
}

int64_t inside(const Span& s, int64_t at) { return std::clamp(at, s.start + 1, s.end - 1); }

// CreationSites remembers where goroutines that the trace saw start were created
// (GoroutineRecord::create_pc), for those whose stack it never reads: a goroutine that
// starts and ends between the dumps at the start and the end of a trace is gone before
// the second. Its record is read from the goroutine table at the next poll, while it
// lives or after it ended, until its slot is reused; a goroutine whose slot was reused
// within one poll stays unnamed. A table of more than kMaxChunks chunks is not scanned
// (too large to read at every poll).
class CreationSites {
 public:
  static constexpr uint32_t kMaxChunks = 64;  // 65,536 goroutine slots

  // want() asks for the creation site of the goroutines spawned in events[from...].
  void want(const std::vector<Event>& events, std::size_t from, const std::map<uint64_t, std::string>& named) {
    for (std::size_t i = from; i < events.size(); ++i) {
      const Event& e = events[i];
      if (e.kind == EventKind::kSpawn && !named.count(e.goroutine) && !pc_.count(e.goroutine)) wanted_.insert(e.goroutine);
    }
  }

  // scan() reads the goroutine table for the goroutines still wanted.
  void scan(const ArenaFile& f) {
    if (wanted_.empty()) return;
    const arena::ArenaHeader& h = f.header();
    uint32_t chunks = h.goroutine_chunks.load(std::memory_order_acquire);
    if (chunks > kMaxChunks) return;
    for (uint32_t c = 0; c < chunks; ++c) {
      const char* base = f.at<char>(h.goroutine_chunk_offset[c], std::size_t{h.goroutine_stride} * arena::kGoroutinesPerChunk);
      if (!base) continue;
      for (uint32_t i = 0; i < arena::kGoroutinesPerChunk; ++i) {
        const auto* src = reinterpret_cast<const arena::GoroutineRecord*>(base + std::size_t{i} * h.goroutine_stride);
        // An ended goroutine's slot is marked free at once, but keeps its id and creation
        // site until it is reused: a matching id is still that goroutine's record.
        if (src->id == 0 || !wanted_.count(src->id)) continue;
        arena::GoroutineRecord r;
        if (read_seqlocked(src, &r) && r.create_pc != 0 && wanted_.erase(r.id)) pc_[r.id] = r.create_pc;
      }
    }
    // Those not found had ended already: not asked for again.
    wanted_.clear();
  }

  // name() gives each goroutine found that has no function yet "created by <function>".
  void name(int pid, std::map<uint64_t, std::string>& functions) const {
    if (pc_.empty()) return;
    std::shared_ptr<Symbols> sym = make_symbols(pid);
    for (const auto& [id, pc] : pc_) {
      if (functions.count(id)) continue;
      Frame f = sym->creation(pc);
      if (!f.function.empty()) functions[id] = "created by " + f.function;
    }
  }

 private:
  std::unordered_set<uint64_t> wanted_;
  std::unordered_map<uint64_t, uint64_t> pc_;
};

}  // namespace

std::string outermost_own_function(const Goroutine& g) {
  for (auto it = g.stack.frames().rbegin(); it != g.stack.frames().rend(); ++it) {
    if (!it->runtime && !it->function.empty()) return it->function;
  }
  return {};
}

namespace {

// ---- The model: tracks of spans, instants and arrows, and the counter's changes. ----

struct TraceModel {
  int64_t start = 0, end = 0;  // the window
  std::vector<Track> tracks;   // by goroutine id
  std::vector<bool> shown;     // tracks[i] has a track in the trace (--max-goroutines)
  std::unordered_map<uint64_t, std::size_t> index;  // a shown track's position, by goroutine id
  std::vector<const Event*> thread_events;           // panics and recovers on plain threads
  // (time, (change of runnable, change of blocked)), in time order.
  std::vector<std::pair<int64_t, std::pair<int, int>>> deltas;
};

// recent_events() is the most recent max_events events, in time order.
std::vector<const Event*> recent_events(const TraceInput& in, const TraceOptions& opt, TraceSummary& sum) {
  std::vector<const Event*> events;
  events.reserve(in.events.size());
  for (const Event& e : in.events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](const Event* a, const Event* b) { return a->time_ns < b->time_ns; });
  if (events.size() > opt.max_events) {
    std::size_t drop = events.size() - opt.max_events;
    sum.events_dropped += drop;
    events.erase(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  if (sum.events_dropped > 0) {
    sum.notes.push_back("capped: the " + std::to_string(sum.events_dropped) +
                        " oldest events are left out (at most " + std::to_string(opt.max_events) + ", --max-events)");
  }
  sum.events_used = events.size();
  return events;
}

// set_window() takes the window from the input, else from the events it has.
void set_window(const TraceInput& in, const std::vector<const Event*>& events, TraceModel& m) {
  m.start = in.start_ns;
  m.end = in.end_ns;
  if (m.start == 0) m.start = events.empty() ? 0 : events.front()->time_ns;
  if (m.end == 0) m.end = events.empty() ? m.start : events.back()->time_ns;
  if (in.crash && in.crash->time_ns > m.end) m.end = in.crash->time_ns;
  m.end = std::max(m.end, m.start);
}

// build_tracks() makes a track for every goroutine that has events or was alive at the
// start, and may move the window's end past the last span.
void build_tracks(const TraceInput& in, const std::vector<const Event*>& events, TraceModel& m, TraceSummary& sum) {
  std::unordered_map<uint64_t, std::vector<const Event*>> by_g;
  for (const Event* e : events) {
    if (e->goroutine != 0) {
      by_g[e->goroutine].push_back(e);
    } else {
      m.thread_events.push_back(e);
    }
  }
  std::unordered_map<uint64_t, TraceGoroutine> initial;
  for (const TraceGoroutine& g : in.at_start) initial[g.id] = g;
  std::vector<uint64_t> ids;
  for (const auto& [id, evs] : by_g) ids.push_back(id);
  for (const TraceGoroutine& g : in.at_start) {
    if (!by_g.count(g.id) && g.state != GoroutineState::kFree && g.state != GoroutineState::kDead) ids.push_back(g.id);
  }
  std::sort(ids.begin(), ids.end());
  m.tracks.resize(ids.size());
  int64_t last_end = m.end;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    Track& t = m.tracks[i];
    t.id = ids[i];
    auto init = initial.find(t.id);
    auto evs_it = by_g.find(t.id);
    if (evs_it != by_g.end()) {
      // First find the causal order with a scratch timeline, then build the real one.
      Track scratch;
      TimelineBuilder probe(scratch, m.start);
      if (init != initial.end()) probe.begin(init->second);
      std::vector<const Event*> ordered = causal_order(evs_it->second, probe);
      TimelineBuilder tl(t, m.start);
      if (init != initial.end()) tl.begin(init->second);
      for (const Event* e : ordered) sum.out_of_order += !tl.apply(*e);
      last_end = std::max(last_end, tl.finish(m.end));
    } else {
      TimelineBuilder tl(t, m.start);
      tl.begin(init->second);
      last_end = std::max(last_end, tl.finish(m.end));
    }
  }
  m.end = last_end;
  sum.goroutines = m.tracks.size();
}

// count_over_time() lists when each track's spans change the runnable and blocked
// counts.
void count_over_time(TraceModel& m) {
  for (const Track& t : m.tracks) {
    for (std::size_t i = 0; i < t.spans.size(); ++i) {
      const Span& s = t.spans[i];
      m.deltas.push_back({s.start, s.running ? std::pair{1, 0} : std::pair{0, 1}});
      if (i + 1 < t.spans.size() || !t.open_at_end) {
        m.deltas.push_back({s.end, s.running ? std::pair{-1, 0} : std::pair{0, -1}});
      }
    }
  }
  std::sort(m.deltas.begin(), m.deltas.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

// choose_shown() gives a track to the most recently active goroutines, at most
// max_goroutines of them.
void choose_shown(const TraceOptions& opt, TraceModel& m, TraceSummary& sum) {
  const std::vector<Track>& tracks = m.tracks;
  std::vector<std::size_t> order(tracks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  m.shown.assign(tracks.size(), true);
  if (tracks.size() > opt.max_goroutines) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (tracks[a].events != 0 && tracks[b].events != 0) return tracks[a].last_event > tracks[b].last_event;
      return tracks[a].events > tracks[b].events;
    });
    for (std::size_t k = opt.max_goroutines; k < order.size(); ++k) m.shown[order[k]] = false;
    sum.notes.push_back("capped: " + std::to_string(opt.max_goroutines) + " of " + std::to_string(tracks.size()) +
                        " goroutines have a track, those with the most recent events (--max-goroutines); the counter "
                        "track counts them all");
  }
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    if (m.shown[i]) m.index[tracks[i].id] = i;
  }
}

TraceModel build_model(const TraceInput& in, const TraceOptions& opt, TraceSummary& sum) {
  TraceModel m;
  std::vector<const Event*> events = recent_events(in, opt, sum);
  set_window(in, events, m);
  build_tracks(in, events, m, sum);
  count_over_time(m);
  choose_shown(opt, m, sum);
  return m;
}

// ---- Writing the model as Chrome trace-event JSON. ----

// TraceWriter writes the parts of one trace in order.
class TraceWriter {
 public:
  TraceWriter(const TraceInput& in, const TraceModel& m, TraceSummary& sum, std::FILE* out)
      : in_(in), m_(m), sum_(sum), w_(out), P_(std::to_string(in.pid)) {}

  void process() {
    w_.raw("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[");
    std::string pname = "gleak pid " + P_ + (in_.cmdline.empty() ? "" : ": " + in_.cmdline);
    if (in_.flight_recorder) pname += " (flight recorder)";
    if (sum_.events_lost > 0) pname += " [" + std::to_string(sum_.events_lost) + " events lost to ring overflow]";
    w_.event("{\"ph\":\"M\",\"pid\":" + P_ + ",\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":" +
             json_string(pname) + "}}");
  }

  // tracks(): each shown goroutine's name, then its spans and instants.
  void tracks() {
    for (std::size_t i = 0; i < m_.tracks.size(); ++i) {
      if (!m_.shown[i]) continue;
      const Track& t = m_.tracks[i];
      std::string tid = std::to_string(t.id);
      track_name(t, tid);
      for (const Span& s : t.spans) span(s, tid);
      for (const Instant& mark : t.instants) instant(t, mark, tid);
      ++sum_.tracks;
    }
  }

  void thread_events() {
    if (m_.thread_events.empty()) return;
    w_.event("{\"ph\":\"M\",\"pid\":" + P_ + ",\"tid\":0,\"name\":\"thread_name\",\"args\":{\"name\":\"plain threads\"}}");
    for (const Event* e : m_.thread_events) {
      if (e->kind != EventKind::kRecover && e->kind != EventKind::kPanic) continue;
      std::string name = e->kind == EventKind::kPanic ? "panic" : "recover";
      w_.event("{\"ph\":\"i\",\"s\":\"t\",\"pid\":" + P_ + ",\"tid\":0,\"ts\":" +
               us(std::max(e->time_ns, m_.start), m_.start) + ",\"name\":\"" + name + "\",\"cat\":\"" + name +
               "\",\"args\":{}}");
      ++sum_.instants;
    }
  }

  // flows(): each arrow starts strictly inside a running span of the goroutine that
  // caused it and ends strictly inside the span it began (bound to the enclosing slice).
  void flows() {
    uint64_t flow_id = 0;
    std::size_t unbound = 0;
    for (std::size_t i = 0; i < m_.tracks.size(); ++i) {
      if (!m_.shown[i]) continue;
      const Track& t = m_.tracks[i];
      for (const FlowEnd& f : t.flows_in) {
        auto src = m_.index.find(f.from);
        std::size_t k = src == m_.index.end() ? 0 : running_span_at(m_.tracks[src->second], f.at);
        if (src == m_.index.end() || k == m_.tracks[src->second].spans.size()) {
          ++unbound;
          continue;
        }
        flow(++flow_id, f, m_.tracks[src->second].spans[k], t);
      }
    }
    if (unbound > 0) {
      sum_.notes.push_back(std::to_string(unbound) +
                           " arrows are left out: the goroutine at their start has no running span in the trace");
    }
  }

  // counter(): the counts, sampled at the end of each slice of the window that has a
  // change.
  void counter() {
    int64_t slice = std::max<int64_t>(1000, (m_.end - m_.start) / kCounterSlices + 1);
    int runnable = 0, blocked = 0;
    std::size_t d = 0;
    auto sample = [&](int64_t at) {
      while (d < m_.deltas.size() && m_.deltas[d].first <= at) {
        runnable += m_.deltas[d].second.first;
        blocked += m_.deltas[d].second.second;
        ++d;
      }
      w_.event("{\"ph\":\"C\",\"pid\":" + P_ + ",\"tid\":0,\"ts\":" + us(std::min(at, m_.end), m_.start) +
               ",\"name\":\"goroutines\",\"args\":{\"runnable\":" + std::to_string(runnable) +
               ",\"blocked\":" + std::to_string(blocked) + "}}");
      ++sum_.counters;
    };
    sample(m_.start);
    while (d < m_.deltas.size()) sample(m_.start + (m_.deltas[d].first - m_.start + slice - 1) / slice * slice);
  }

  // other_data() ends the trace with what it is of and what it leaves out.
  void other_data() {
    nlohmann::ordered_json other;
    other["generator"] = "gleak trace";
    other["pid"] = in_.pid;
    other["cmdline"] = in_.cmdline;
    other["source"] = in_.flight_recorder ? "flight recorder (the rings of a dead process)" : "live";
    other["window_ns"] = m_.end - m_.start;
    other["events"] = sum_.events_used;
    other["events_lost"] = sum_.events_lost;
    other["events_dropped_over_cap"] = sum_.events_dropped;
    other["goroutines"] = sum_.goroutines;
    other["goroutine_tracks"] = sum_.tracks;
    other["notes"] = sum_.notes;
    w_.raw("\n],\"otherData\":" + other.dump() + "}\n");
    w_.flush();
  }

 private:
  void track_name(const Track& t, const std::string& tid) {
    std::string name = "g" + tid;
    auto fn = in_.functions.find(t.id);
    if (fn != in_.functions.end() && !fn->second.empty()) name += " " + fn->second;
    if (auto lb = in_.labels.find(t.id); lb != in_.labels.end()) name += " " + lb->second;
    w_.event("{\"ph\":\"M\",\"pid\":" + P_ + ",\"tid\":" + tid + ",\"name\":\"thread_name\",\"args\":{\"name\":" +
             json_string(name) + "}}");
    w_.event("{\"ph\":\"M\",\"pid\":" + P_ + ",\"tid\":" + tid +
             ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":" + tid + "}}");
  }

  void span(const Span& s, const std::string& tid) {
    std::string args;
    if (!s.running && s.object != 0) args += "\"object\":\"" + format_hex(s.object) + "\"";
    if (s.woken_by != 0) args += std::string(args.empty() ? "" : ",") + "\"woken_by\":\"g" + std::to_string(s.woken_by) + "\"";
    if (s.inferred) args += std::string(args.empty() ? "" : ",") + "\"began\":\"before the first recorded event\"";
    w_.event("{\"ph\":\"X\",\"pid\":" + P_ + ",\"tid\":" + tid + ",\"ts\":" + us(s.start, m_.start) +
             ",\"dur\":" + us(s.end, s.start) + ",\"name\":" + json_string(span_name(s)) + ",\"cat\":\"" +
             (s.running ? "running" : "blocked") + "\",\"args\":{" + args + "}}");
    ++sum_.spans;
  }

  void instant(const Track& t, const Instant& m, const std::string& tid) {
    std::string name = m.kind == EventKind::kPanic ? "panic" : m.kind == EventKind::kRecover ? "recover" : "join";
    std::string args;
    if (m.kind == EventKind::kPanic && in_.crash && in_.crash->goroutine == t.id) {
      args = "\"message\":" + json_string(in_.crash->message);
    } else if (m.kind == EventKind::kRecover && m.arg != 0) {
      args = "\"throw_pc\":\"" + format_hex(m.arg) + "\"";
    } else if (m.kind == EventKind::kJoin) {
      args = "\"wait_group\":\"" + format_hex(m.arg) + "\"";
    }
    w_.event("{\"ph\":\"i\",\"s\":\"t\",\"pid\":" + P_ + ",\"tid\":" + tid + ",\"ts\":" + us(m.ts, m_.start) +
             ",\"name\":\"" + name + "\",\"cat\":\"" + name + "\",\"args\":{" + args + "}}");
    ++sum_.instants;
  }

  void flow(uint64_t flow_id, const FlowEnd& f, const Span& from, const Track& to_track) {
    const Span& to = to_track.spans[f.span];
    std::string name = f.spawn ? "go" : "unblock";
    std::string id = std::to_string(flow_id);
    w_.event("{\"ph\":\"s\",\"id\":" + id + ",\"pid\":" + P_ + ",\"tid\":" + std::to_string(f.from) +
             ",\"ts\":" + us(inside(from, f.at), m_.start) + ",\"name\":\"" + name + "\",\"cat\":\"" + name + "\"}");
    w_.event("{\"ph\":\"f\",\"bp\":\"e\",\"id\":" + id + ",\"pid\":" + P_ + ",\"tid\":" + std::to_string(to_track.id) +
             ",\"ts\":" + us(to.start + 1, m_.start) + ",\"name\":\"" + name + "\",\"cat\":\"" + name + "\"}");
    ++sum_.flows;
  }

  const TraceInput& in_;
  const TraceModel& m_;
  TraceSummary& sum_;
  Writer w_;
  std::string P_;  // the pid, as text
};

}  // namespace

TraceSummary write_trace(const TraceInput& in, const TraceOptions& opt, std::FILE* out) {
  TraceSummary sum;
  sum.events_lost = in.events_lost;
  sum.events_dropped = in.events_dropped;
  sum.notes = in.notes;
  TraceModel m = build_model(in, opt, sum);
  TraceWriter w(in, m, sum, out);
  w.process();
  w.tracks();
  w.thread_events();
  w.flows();
  w.counter();
  if (sum.out_of_order > 0) {
    sum.notes.push_back(std::to_string(sum.out_of_order) +
                        " events contradicted their goroutine's state (events around them were lost)");
  }
  w.other_data();
  if (std::fflush(out) != 0) throw InspectError(ErrorCode::kIo, std::string("writing the trace failed: ") + std::strerror(errno));
  return sum;
}

TraceInput trace_from_snapshot(const Snapshot& s) {
  TraceInput in;
  in.pid = s.pid;
  in.cmdline = s.cmdline;
  in.flight_recorder = s.source != Source::kLiveProcess && s.source != Source::kSelf;
  in.events = s.events;
  in.events_lost = s.events_lost;
  in.crash = s.crash;
  for (const Goroutine& g : s.goroutines) {
    std::string fn = outermost_own_function(g);
    if (!fn.empty()) in.functions[g.id] = fn;
    if (!g.labels.empty()) in.labels[g.id] = format_labels(g);
  }
  if (in.flight_recorder && s.crash) in.end_ns = s.crash->time_ns;
  if (s.events.empty()) in.notes.push_back("the rings hold no events");
  return in;
}

TraceInput record_trace(const std::string& path, int64_t duration_ns, const TraceOptions& opt,
                        const std::atomic<bool>* stop, int64_t poll_ns) {
  // The rings' positions are taken before the goroutine table is read: an event may
  // then be both in the table and in the rings (the timeline ignores the repeat), but
  // none falls between the two.
  EventFollower follow(path);
  follow.skip_history();
  int64_t start = coarse_now();
  ReadOptions ro;
  ro.consistent = false;
  ro.events = false;
  ro.objects = false;
  ro.host_pid = opt.host_pid;
  Snapshot first = read_file(path, ro);
  if (first.source != Source::kLiveProcess) {
    ro.events = true;
    return trace_from_snapshot(read_file(path, ro));
  }
  TraceInput in;
  in.pid = first.pid;
  in.cmdline = first.cmdline;
  in.start_ns = start;
  for (const Goroutine& g : first.goroutines) {
    in.at_start.push_back({g.id, g.state, g.wait_reason, g.wait_object});
    std::string fn = outermost_own_function(g);
    if (!fn.empty()) in.functions[g.id] = fn;
    if (!g.labels.empty()) in.labels[g.id] = format_labels(g);
  }
  int64_t deadline = start + duration_ns;
  bool ended = false;
  CreationSites sites;
  for (int round = 0;; ++round) {
    std::size_t before = in.events.size();
    follow.poll(in.events);
    sites.want(in.events, before, in.functions);
    sites.scan(follow.file());
    // Over twice the cap, the oldest are dropped, so that a long trace of a busy
    // process keeps its most recent events in bounded memory.
    if (in.events.size() > 2 * opt.max_events) {
      std::stable_sort(in.events.begin(), in.events.end(),
                       [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
      std::size_t drop = in.events.size() - opt.max_events;
      in.events.erase(in.events.begin(), in.events.begin() + static_cast<std::ptrdiff_t>(drop));
      in.events_dropped += drop;
    }
    if (follow.state() != ProcessState::kRunning && follow.state() != ProcessState::kStarting) {
      ended = true;
      break;
    }
    if (kill(first.pid, 0) != 0 && errno == ESRCH) {
      ended = true;
      break;
    }
    int64_t now = coarse_now();
    if (now >= deadline || (stop && stop->load())) break;
    int64_t nap = std::min(poll_ns, deadline - now);
    struct timespec ts{static_cast<time_t>(nap / 1000000000), static_cast<long>(nap % 1000000000)};
    nanosleep(&ts, nullptr);
  }
  sites.scan(follow.file());
  in.events_lost = follow.lost();
  in.end_ns = coarse_now();
  if (ended) {
    in.notes.push_back("the process ended during the trace");
    for (const Event& e : in.events) in.end_ns = std::max(in.end_ns, e.time_ns);
  } else {
    try {
      Snapshot last = read_file(path, ro);
      for (const Goroutine& g : last.goroutines) {
        std::string fn = outermost_own_function(g);
        if (!fn.empty()) in.functions.emplace(g.id, fn);
        if (!g.labels.empty()) in.labels.emplace(g.id, format_labels(g));
      }
    } catch (const InspectError&) {
      // Gone meanwhile: goroutines that started during the trace keep their ids only.
    }
  }
  try {
    sites.name(in.pid, in.functions);
  } catch (const std::exception&) {
    // No symbols: those goroutines keep their ids only.
  }
  return in;
}

}  // namespace gleak::inspector
