// `gleak trace` and inspector/report/trace.h: every trace written is checked against the Trace
// Event format (required fields, spans that never overlap on a track, flows whose start
// and end both exist and bind to a span), on hand-made event sequences, on a live
// process and on what a crashed process left behind.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "inspector/read/event_follow.h"
#include "inspector/read/reader.h"
#include "inspector/report/trace.h"
#include "tests/child_process.h"

namespace gi = gleak::inspector;
using gleak::arena::EventKind;
using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;
using Json = nlohmann::json;

namespace {

// check_trace() returns what is wrong with a Trace Event JSON document ("" if nothing).
std::string check_trace(const Json& j) {
  std::ostringstream bad;
  if (!j.is_object() || !j.contains("traceEvents") || !j["traceEvents"].is_array()) return "no traceEvents array";
  if (!j.contains("otherData") || !j["otherData"].contains("events_lost")) bad << "otherData.events_lost missing; ";
  struct X {
    double ts, dur;
  };
  std::map<std::pair<long, long>, std::vector<X>> spans;
  std::map<long, Json> flow_starts, flow_ends;
  for (const Json& e : j["traceEvents"]) {
    if (!e.contains("ph") || !e["ph"].is_string()) {
      bad << "event without ph: " << e.dump() << "; ";
      continue;
    }
    std::string ph = e["ph"];
    if (!e.contains("pid") || !e["pid"].is_number_integer()) bad << "no pid: " << e.dump() << "; ";
    if (!e.contains("name") || !e["name"].is_string()) bad << "no name: " << e.dump() << "; ";
    if (ph == "M") {
      if (!e.contains("args") || !e["args"].is_object()) {
        bad << "metadata without args: " << e.dump() << "; ";
        continue;
      }
      // Goroutine tracks are named "g<id>" or "g<id> <function>", after their tid.
      if (e["name"] == "thread_name" && e["tid"] != 0) {
        std::string want = "g" + std::to_string(e["tid"].get<long>());
        std::string name = e["args"].value("name", "");
        if (name != want && name.rfind(want + " ", 0) != 0) bad << "track " << e["tid"] << " named " << name << "; ";
      }
      continue;
    }
    if (!e.contains("ts") || !e["ts"].is_number() || e["ts"].get<double>() < 0) bad << "bad ts: " << e.dump() << "; ";
    if (!e.contains("tid") || !e["tid"].is_number_integer()) bad << "no tid: " << e.dump() << "; ";
    if (ph == "X") {
      if (!e.contains("dur") || !e["dur"].is_number() || e["dur"].get<double>() < 0) bad << "bad dur: " << e.dump() << "; ";
      spans[{e["pid"], e["tid"]}].push_back({e["ts"].get<double>(), e["dur"].get<double>()});
    } else if (ph == "s" || ph == "f") {
      if (!e.contains("id")) {
        bad << "flow without id: " << e.dump() << "; ";
        continue;
      }
      auto& m = ph == "s" ? flow_starts : flow_ends;
      if (!m.emplace(e["id"].get<long>(), e).second) bad << "flow id repeated: " << e.dump() << "; ";
      if (ph == "f" && e.value("bp", "") != "e") bad << "flow end not bound to its enclosing slice; ";
    } else if (ph == "i") {
      if (e.value("s", "") != "t") bad << "instant not thread-scoped: " << e.dump() << "; ";
    } else if (ph == "C") {
      if (!e.contains("args") || !e["args"].is_object()) bad << "counter without args; ";
      for (const auto& [k, v] : e["args"].items()) {
        if (!v.is_number()) bad << "counter value not a number: " << e.dump() << "; ";
      }
    } else {
      bad << "unexpected phase " << ph << "; ";
    }
  }
  // Spans on one track never overlap (the writer prints microseconds to the
  // nanosecond: allow for the rounding of a double).
  for (auto& [track, xs] : spans) {
    std::sort(xs.begin(), xs.end(), [](const X& a, const X& b) { return a.ts < b.ts; });
    for (std::size_t i = 1; i < xs.size(); ++i) {
      if (xs[i - 1].ts + xs[i - 1].dur > xs[i].ts + 1e-6) {
        bad << "overlapping spans on tid " << track.second << " at " << xs[i].ts << "; ";
        break;
      }
    }
  }
  auto inside_a_span = [&](const Json& e) {
    auto it = spans.find({e["pid"], e["tid"]});
    if (it == spans.end()) return false;
    double ts = e["ts"];
    for (const X& x : it->second) {
      if (x.ts <= ts && ts <= x.ts + x.dur) return true;
    }
    return false;
  };
  for (const auto& [id, s] : flow_starts) {
    auto f = flow_ends.find(id);
    if (f == flow_ends.end()) {
      bad << "flow " << id << " has no end; ";
      continue;
    }
    if (f->second["cat"] != s["cat"]) bad << "flow " << id << " changes category; ";
    if (!inside_a_span(s)) bad << "flow " << id << " starts outside a span; ";
    if (!inside_a_span(f->second)) bad << "flow " << id << " ends outside a span; ";
  }
  for (const auto& [id, f] : flow_ends) {
    if (!flow_starts.count(id)) bad << "flow " << id << " has no start; ";
  }
  return bad.str();
}

Json write_and_parse(const gi::TraceInput& in, const gi::TraceOptions& opt, gi::TraceSummary* sum = nullptr) {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* f = open_memstream(&buf, &size);
  gi::TraceSummary s = gi::write_trace(in, opt, f);
  std::fclose(f);
  std::string text(buf, size);
  std::free(buf);
  if (sum) *sum = s;
  return Json::parse(text);
}

gi::Event ev(int64_t t, int worker, EventKind k, uint64_t g, uint64_t arg = 0, uint32_t aux = 0, uint64_t pos = 0) {
  return gi::Event{t, worker, k, g, arg, aux, pos};
}

// spans_of() is the (name, ts) of the spans on one goroutine's track, in time order.
std::vector<std::pair<std::string, double>> spans_of(const Json& j, uint64_t g) {
  std::vector<std::pair<std::string, double>> out;
  for (const Json& e : j["traceEvents"]) {
    if (e["ph"] == "X" && e["tid"] == g) out.push_back({e["name"], e["ts"]});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return out;
}

std::size_t count_phase(const Json& j, const std::string& ph, const std::string& name = "") {
  std::size_t n = 0;
  for (const Json& e : j["traceEvents"]) n += e["ph"] == ph && (name.empty() || e["name"] == name);
  return n;
}

std::string thread_name(const Json& j, uint64_t g) {
  for (const Json& e : j["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name" && e["tid"] == g) return e["args"]["name"];
  }
  return "";
}

constexpr uint32_t kChanRecv = static_cast<uint32_t>(gi::WaitReason::kChanReceive);

TEST(Trace, SpansFollowSpawnParkUnparkAndExitWithArrowsFromParentAndWaker) {
  gi::TraceInput in;
  in.pid = 42;
  // g1 starts g2; g2 parks on a channel; g1 wakes it; g2 exits. All on worker 0.
  in.events = {ev(1000, 0, EventKind::kSpawn, 2, 1, 0, 0), ev(2000, 0, EventKind::kPark, 2, 0xabc, kChanRecv, 1),
               ev(5000, 0, EventKind::kUnpark, 2, 1, 0, 2), ev(9000, 0, EventKind::kExit, 2, 0, 0, 3),
               ev(500, 0, EventKind::kPark, 1, 0xdef, kChanRecv, 4)};
  in.at_start = {{1, gi::GoroutineState::kRunning, gi::WaitReason::kNone, 0}};
  in.start_ns = 200;
  in.end_ns = 10000;
  in.functions[2] = "worker(int)";
  Json j = write_and_parse(in, {});
  EXPECT_EQ(check_trace(j), "");
  EXPECT_EQ(thread_name(j, 2), "g2 worker(int)");
  EXPECT_EQ(thread_name(j, 1), "g1");
  auto g2 = spans_of(j, 2);
  ASSERT_EQ(g2.size(), 3u) << j.dump(1);
  EXPECT_EQ(g2[0].first, "running");
  EXPECT_DOUBLE_EQ(g2[0].second, 0.8);  // microseconds from the start of the window
  EXPECT_EQ(g2[1].first, "chan receive");
  EXPECT_EQ(g2[2].first, "running");
  EXPECT_EQ(count_phase(j, "s", "go"), 1u);
  EXPECT_EQ(count_phase(j, "s", "unblock"), 1u);
  EXPECT_EQ(count_phase(j, "f"), 2u);
}

TEST(Trace, AnUnparkStampedBeforeItsParkOnAnotherWorkerStillComesAfterIt) {
  gi::TraceInput in;
  in.pid = 42;
  // Worker 1's clock lags: it stamps the unpark of g3 before worker 0 stamps its park.
  in.events = {ev(1000, 1, EventKind::kSpawn, 5, 0, 0, 0), ev(7000, 0, EventKind::kPark, 3, 0x1, kChanRecv, 0),
               ev(4000, 1, EventKind::kUnpark, 3, 5, 0, 1), ev(8000, 0, EventKind::kPark, 3, 0x1, kChanRecv, 1)};
  in.at_start = {{3, gi::GoroutineState::kRunning, gi::WaitReason::kNone, 0}};
  in.start_ns = 0;
  in.end_ns = 10000;
  gi::TraceSummary sum;
  Json j = write_and_parse(in, {}, &sum);
  EXPECT_EQ(check_trace(j), "");
  auto g3 = spans_of(j, 3);
  ASSERT_EQ(g3.size(), 4u) << j.dump(1);
  EXPECT_EQ(g3[0].first, "running");
  EXPECT_EQ(g3[1].first, "chan receive");
  EXPECT_EQ(g3[2].first, "running");
  EXPECT_EQ(g3[3].first, "chan receive");
  EXPECT_EQ(sum.out_of_order, 0u);
}

TEST(Trace, ASpawnComesFirstEvenWhenAnotherWorkerStampedItsParkAtTheSameTick) {
  gi::TraceInput in;
  in.pid = 42;
  // Worker 0 ran the new goroutine and wrote its park and exit; worker 1 wrote its
  // spawn and its unpark. All four at one tick of the coarse clock.
  in.events = {ev(5000, 0, EventKind::kPark, 9, 0x1, kChanRecv, 10), ev(5000, 0, EventKind::kExit, 9, 0, 0, 11),
               ev(5000, 1, EventKind::kSpawn, 9, 1, 0, 20), ev(5000, 1, EventKind::kUnpark, 9, 1, 0, 21)};
  in.at_start = {{1, gi::GoroutineState::kRunning, gi::WaitReason::kNone, 0}};
  in.start_ns = 1000;
  in.end_ns = 10000;
  gi::TraceSummary sum;
  Json j = write_and_parse(in, {}, &sum);
  EXPECT_EQ(check_trace(j), "");
  auto g9 = spans_of(j, 9);
  ASSERT_EQ(g9.size(), 3u) << j.dump(1);
  EXPECT_EQ(g9[0].first, "running");
  EXPECT_EQ(g9[1].first, "chan receive");
  EXPECT_EQ(g9[2].first, "running");
  EXPECT_EQ(sum.out_of_order, 0u);
}

TEST(Trace, ManyEventsAtOneCoarseTickStillMakeSpansThatDoNotOverlap) {
  gi::TraceInput in;
  in.pid = 42;
  uint64_t pos = 0;
  for (int i = 0; i < 1000; ++i) {
    in.events.push_back(ev(4'000'000, 0, EventKind::kPark, 7, 0x1, kChanRecv, pos++));
    in.events.push_back(ev(4'000'000, 1, EventKind::kUnpark, 7, 8, 0, pos++));
    in.events.push_back(ev(4'000'000, 1, EventKind::kPark, 8, 0x2, kChanRecv, pos++));
    in.events.push_back(ev(4'000'000, 0, EventKind::kUnpark, 8, 7, 0, pos++));
  }
  in.at_start = {{7, gi::GoroutineState::kRunning, gi::WaitReason::kNone, 0},
                 {8, gi::GoroutineState::kRunning, gi::WaitReason::kNone, 0}};
  in.start_ns = 0;
  in.end_ns = 8'000'000;
  Json j = write_and_parse(in, {});
  EXPECT_EQ(check_trace(j), "");
  EXPECT_EQ(spans_of(j, 7).size(), 2001u);
}

TEST(Trace, PanicsAndRecoversAreInstantsAndTheLostCountIsInTheMetadata) {
  gi::TraceInput in;
  in.pid = 42;
  in.events = {ev(1000, 0, EventKind::kRecover, 4, 0x1234, 0, 0), ev(2000, 0, EventKind::kPanic, 4, 0, 0, 1)};
  in.events_lost = 17;
  in.crash = gi::Crash{};
  in.crash->goroutine = 4;
  in.crash->message = "panic: boom";
  Json j = write_and_parse(in, {});
  EXPECT_EQ(check_trace(j), "");
  EXPECT_EQ(j["otherData"]["events_lost"], 17);
  EXPECT_EQ(count_phase(j, "i", "recover"), 1u);
  ASSERT_EQ(count_phase(j, "i", "panic"), 1u);
  for (const Json& e : j["traceEvents"]) {
    if (e["ph"] == "i" && e["name"] == "panic") {
      EXPECT_EQ(e["args"]["message"], "panic: boom");
    }
    if (e["ph"] == "M" && e["name"] == "process_name") {
      EXPECT_NE(e["args"]["name"].get<std::string>().find("17 events lost"), std::string::npos);
    }
  }
}

TEST(Trace, ALargeTraceIsCappedAndSaysSo) {
  gi::TraceInput in;
  in.pid = 42;
  for (uint64_t g = 1; g <= 100; ++g) in.events.push_back(ev(static_cast<int64_t>(g) * 1000, 0, EventKind::kSpawn, g, 0, 0, g));
  gi::TraceOptions opt;
  opt.max_events = 50;
  opt.max_goroutines = 10;
  gi::TraceSummary sum;
  Json j = write_and_parse(in, opt, &sum);
  EXPECT_EQ(check_trace(j), "");
  EXPECT_EQ(sum.events_used, 50u);
  EXPECT_EQ(sum.events_dropped, 50u);
  EXPECT_EQ(sum.tracks, 10u);
  EXPECT_EQ(j["otherData"]["goroutine_tracks"], 10);
  // The most recent are kept.
  EXPECT_EQ(thread_name(j, 100), "g100");
  EXPECT_EQ(thread_name(j, 1), "");
  std::string notes = j["otherData"]["notes"].dump();
  EXPECT_NE(notes.find("capped"), std::string::npos) << notes;
  // The counter still counts every goroutine the kept events show.
  int most = 0;
  for (const Json& e : j["traceEvents"]) {
    if (e["ph"] == "C") most = std::max(most, e["args"]["runnable"].get<int>());
  }
  EXPECT_EQ(most, 50);
}

TEST(ReadRing, EventsOverwrittenBetweenTwoReadsAreCountedAsLost) {
  auto ring = std::make_unique<gleak::arena::Ring>();
  constexpr uint64_t n = gleak::arena::kRingEvents;
  for (uint64_t i = 0; i < 3 * n; ++i) {
    ring->events[i % n] = gleak::arena::Event{static_cast<int64_t>(i), i, 0, EventKind::kSpawn, 0};
  }
  ring->written.store(3 * n);
  std::vector<gi::Event> out;
  uint64_t next = n / 2;
  EXPECT_EQ(gi::read_ring(*ring, 0, &next, out), 2 * n - n / 2);
  ASSERT_EQ(out.size(), n);
  EXPECT_EQ(out.front().position, 2 * n);
  EXPECT_EQ(out.back().goroutine, 3 * n - 1);
  EXPECT_EQ(next, 3 * n);
  // Nothing new: nothing read, nothing lost; then ten more.
  out.clear();
  EXPECT_EQ(gi::read_ring(*ring, 0, &next, out), 0u);
  EXPECT_TRUE(out.empty());
  ring->written.store(3 * n + 10);
  EXPECT_EQ(gi::read_ring(*ring, 0, &next, out), 0u);
  EXPECT_EQ(out.size(), 10u);
}

int run_cli(const std::string& args, std::string* out) {
  return run_command(std::string(GLEAK_CLI) + " " + args + " 2>&1", out);
}

Json read_json(const std::string& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

TEST(GleakTrace, FollowsALiveProcessAndDrawsWhatItsGoroutinesDo) {
  ArenaDir dir;
  Child busy({GLEAK_BUSY});
  ASSERT_TRUE(busy.wait_for("ready"));
  std::string path = dir.path() + "/trace.json", out;
  ASSERT_EQ(run_cli("trace " + std::to_string(busy.pid()) + " -o " + path + " --duration 2s", &out), 0) << out;
  EXPECT_NE(out.find("live trace of pid"), std::string::npos) << out;
  Json j = read_json(path);
  EXPECT_EQ(check_trace(j), "");
  EXPECT_EQ(j["otherData"]["source"], "live");
  EXPECT_GT(count_phase(j, "s", "go"), 0u);
  EXPECT_GT(count_phase(j, "s", "unblock"), 0u);
  EXPECT_GT(count_phase(j, "i", "recover"), 0u);
  EXPECT_GT(count_phase(j, "C", "goroutines"), 0u);

  // The goroutines stuck for good are stuck all along the trace, as the process says.
  gi::ReadOptions ro;
  ro.consistent = false;
  gi::Snapshot s = gi::read_pid(busy.pid(), ro);
  int stuck = 0;
  for (const gi::Goroutine& g : s.goroutines) {
    if (gi::outermost_own_function(g).find("stuck(int") == std::string::npos) continue;
    ++stuck;
    EXPECT_NE(thread_name(j, g.id).find("stuck(int"), std::string::npos) << thread_name(j, g.id);
    auto spans = spans_of(j, g.id);
    ASSERT_EQ(spans.size(), 1u) << "g" << g.id;
    EXPECT_EQ(spans[0].first, "chan receive");
  }
  EXPECT_EQ(stuck, 4);
  bool pinger = false;
  for (const gi::Goroutine& g : s.goroutines) {
    if (gi::outermost_own_function(g).find("pinger") == std::string::npos) continue;
    pinger = true;
    auto spans = spans_of(j, g.id);
    EXPECT_GT(spans.size(), 2u);
  }
  EXPECT_TRUE(pinger);
  // Workers start and end between the dumps at the start and the end: those whose
  // goroutine record was read before its slot was reused are named by where they were
  // created (over two seconds, some of the hundreds started are).
  int created_by = 0;
  for (const Json& e : j["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") {
      created_by += e["args"]["name"].get<std::string>().find(" created by main") != std::string::npos;
    }
  }
  EXPECT_GT(created_by, 0);
}

TEST(GleakTrace, CtrlCEndsARecordingEarlyAndStillWritesTheTrace) {
  ArenaDir dir;
  Child busy({GLEAK_BUSY});
  ASSERT_TRUE(busy.wait_for("ready"));
  std::string path = dir.path() + "/trace.json";
  std::string pid = std::to_string(busy.pid());
  const char* argv[] = {GLEAK_CLI, "trace", pid.c_str(), "-o", path.c_str(), "--duration", "1h", nullptr};
  pid_t trace = -1;
  ASSERT_EQ(posix_spawn(&trace, GLEAK_CLI, nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  // Not left recording for an hour if the test fails half-way.
  struct Reap {
    pid_t& pid;
    ~Reap() {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  } reap{trace};
  // The output file is created once the interrupt handler is in place, just before the
  // recording starts.
  struct stat st;
  for (int i = 0; i < 100000 && stat(path.c_str(), &st) != 0; ++i) usleep(1000);
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  kill(trace, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(trace, &status, 0), trace);
  trace = -1;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  Json j = read_json(path);
  EXPECT_EQ(check_trace(j), "");
  EXPECT_EQ(j["otherData"]["source"], "live");
  EXPECT_LT(j["otherData"]["window_ns"].get<int64_t>(), 3600LL * 1000000000);
}

TEST(GleakTrace, ADeadProcessGivesWhatItsRingsHeldAtTheCrash) {
  ArenaDir dir;
  Child crash({GLEAK_PANIC_CRASH});
  int status = crash.wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  std::string path = dir.path() + "/trace.json", out;
  ASSERT_EQ(run_cli("trace " + std::to_string(crash.pid()) + " -o " + path, &out), 0) << out;
  Json j = read_json(path);
  EXPECT_EQ(check_trace(j), "");
  EXPECT_NE(j["otherData"]["source"].get<std::string>().find("flight recorder"), std::string::npos);
  bool panic = false;
  for (const Json& e : j["traceEvents"]) {
    if (e["ph"] == "i" && e["name"] == "panic") {
      panic = true;
      EXPECT_EQ(e["args"]["message"], "panic: cannot process item 3");
      EXPECT_EQ(e["tid"], 2);
    }
  }
  EXPECT_TRUE(panic);
  EXPECT_EQ(count_phase(j, "s", "go"), 1u);
}

TEST(GleakTrace, BadInputGetsAMessageAndAnExitCode) {
  ArenaDir dir;
  std::string out;
  EXPECT_EQ(run_cli("trace 1 -o " + dir.path() + "/t.json --duration soon", &out), 2) << out;
  EXPECT_NE(out.find("not a duration"), std::string::npos) << out;
  EXPECT_EQ(run_cli("trace 1 --duration 1s", &out), 2) << out;  // no -o
  EXPECT_EQ(run_cli("trace 999999999 -o " + dir.path() + "/t.json", &out), 3) << out;
  std::string junk = dir.path() + "/junk.arena";
  std::ofstream(junk) << std::string(100000, 'x');
  EXPECT_EQ(run_cli("trace " + junk + " -o " + dir.path() + "/t.json", &out), 6) << out;
  // An output that cannot be written.
  Child busy({GLEAK_BUSY});
  ASSERT_TRUE(busy.wait_for("ready"));
  EXPECT_EQ(run_cli("trace " + std::to_string(busy.pid()) + " --duration 0 -o /nonexistent/dir/t.json", &out), 7) << out;
}

}  // namespace
