// `gleak dump --format=pprof` and inspector/report/pprof.h: profiles read back with the
// protobuf library always, and opened with `go tool pprof` when it is installed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "inspector/errors.h"
#include "inspector/report/pprof.h"
#include "inspector/proto/profile.pb.h"
#include "inspector/read/reader.h"
#include "tests/child_process.h"

namespace gi = gleak::inspector;
namespace pb = perftools::profiles;
using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;

namespace {

pb::Profile parse(const std::string& gz) {
  pb::Profile p;
  EXPECT_TRUE(p.ParseFromString(gi::gunzip(gz)));
  return p;
}

// Sample is one sample of a profile, in names rather than ids.
struct Sample {
  int64_t count = 0;
  std::vector<std::vector<std::string>> stack;  // per location, its lines' functions
  std::map<std::string, std::string> labels;
};

std::vector<Sample> samples(const pb::Profile& p) {
  std::map<uint64_t, const pb::Location*> locs;
  std::map<uint64_t, const pb::Function*> fns;
  for (const auto& l : p.location()) locs[l.id()] = &l;
  for (const auto& f : p.function()) fns[f.id()] = &f;
  std::vector<Sample> out;
  for (const auto& s : p.sample()) {
    Sample x;
    x.count = s.value(0);
    for (uint64_t id : s.location_id()) {
      std::vector<std::string> lines;
      for (const auto& line : locs.at(id)->line()) lines.push_back(p.string_table(fns.at(line.function_id())->name()));
      x.stack.push_back(lines);
    }
    for (const auto& l : s.label()) x.labels[p.string_table(l.key())] = p.string_table(l.str());
    out.push_back(x);
  }
  return out;
}

gi::Frame frame(uint64_t pc, const std::string& fn, int line, uint64_t offset, bool runtime = false) {
  return gi::Frame{pc, fn, "/src/app.cc", line, offset, "/bin/app", runtime};
}

gi::Goroutine goroutine(uint64_t id, gi::GoroutineState st, gi::WaitReason r, gi::Stack stack) {
  gi::Goroutine g;
  g.id = id;
  g.state = st;
  g.wait_reason = r;
  g.stack = std::move(stack);
  return g;
}

TEST(Pprof, OneSamplePerStackAndLabelSetCountsItsGoroutines) {
  gi::Snapshot s;
  s.pid = 7;
  s.exe = "/bin/app";
  gi::Stack worker{frame(0x1010, "recv_one()", 12, 0), frame(0x1010, "worker(int)", 30, 0x40),
                   frame(0x9000, "gleak::detail::entry", 1, 0x10, true)};
  using S = gi::GoroutineState;
  using W = gi::WaitReason;
  s.goroutines = {goroutine(1, S::kWaiting, W::kChanReceive, worker), goroutine(2, S::kWaiting, W::kChanReceive, worker),
                  goroutine(3, S::kWaiting, W::kChanReceive, worker), goroutine(4, S::kRunnable, W::kNone, worker),
                  goroutine(5, S::kRunning, W::kNone, {})};
  s.goroutines[4].stack_note = "running; not stopped, so its stack was not read";
  s.goroutines[2].leaked = true;
  pb::Profile p = parse(gi::gzip(gi::goroutine_profile(s, {})));
  ASSERT_EQ(p.sample_type_size(), 1);
  EXPECT_EQ(p.string_table(0), "");
  EXPECT_EQ(p.string_table(p.sample_type(0).type()), "goroutine");
  EXPECT_EQ(p.string_table(p.sample_type(0).unit()), "count");
  ASSERT_GE(p.mapping_size(), 1);
  EXPECT_EQ(p.string_table(p.mapping(0).filename()), "/bin/app");
  EXPECT_TRUE(p.mapping(0).has_functions());
  EXPECT_TRUE(p.mapping(0).has_inline_frames());

  std::vector<Sample> got = samples(p);
  ASSERT_EQ(got.size(), 4u);
  int64_t total = 0;
  for (const Sample& x : got) total += x.count;
  EXPECT_EQ(total, 5);
  bool waiting = false, leaked = false, runnable = false, unavailable = false;
  for (Sample x : got) {
    if (x.labels["state"] == "waiting" && !x.labels.count("leaked")) {
      waiting = true;
      EXPECT_EQ(x.count, 2);
      EXPECT_EQ(x.labels["wait_reason"], "chan receive");
      // The inlined call and its caller share one location, innermost first; the
      // runtime frame is left out.
      ASSERT_EQ(x.stack.size(), 1u);
      EXPECT_EQ(x.stack[0], (std::vector<std::string>{"recv_one()", "worker(int)"}));
    } else if (x.labels.count("leaked")) {
      leaked = true;
      EXPECT_EQ(x.count, 1);
      EXPECT_EQ(x.labels["leaked"], "true");
    } else if (x.labels["state"] == "runnable") {
      runnable = true;
      EXPECT_FALSE(x.labels.count("wait_reason"));
    } else if (x.labels["state"] == "running") {
      unavailable = true;
      ASSERT_EQ(x.stack.size(), 1u);
      EXPECT_EQ(x.stack[0][0], "(stack unavailable: running; not stopped, so its stack was not read)");
    }
  }
  EXPECT_TRUE(waiting && leaked && runnable && unavailable);
}

// Goroutines' own labels become sample labels, and goroutines with other labels other
// samples, as in Go's goroutine profile.
TEST(Pprof, GoroutineLabelsAreSampleLabels) {
  gi::Snapshot s;
  s.pid = 7;
  gi::Stack worker{frame(0x1010, "worker(int)", 30, 0x40)};
  using S = gi::GoroutineState;
  using W = gi::WaitReason;
  s.goroutines = {goroutine(1, S::kWaiting, W::kChanReceive, worker), goroutine(2, S::kWaiting, W::kChanReceive, worker),
                  goroutine(3, S::kWaiting, W::kChanReceive, worker)};
  s.goroutines[0].labels = {{"shard", "0"}};
  s.goroutines[1].labels = {{"shard", "1"}};
  s.goroutines[2].labels = {{"shard", "1"}};
  std::map<std::string, int64_t> by_shard;
  for (Sample x : samples(parse(gi::gzip(gi::goroutine_profile(s, {}))))) by_shard[x.labels["shard"]] += x.count;
  EXPECT_EQ(by_shard, (std::map<std::string, int64_t>{{"0", 1}, {"1", 2}}));
}

TEST(Pprof, AllFramesKeepsTheRuntimeFrames) {
  gi::Snapshot s;
  s.goroutines = {goroutine(1, gi::GoroutineState::kWaiting, gi::WaitReason::kSleep,
                            {frame(0x10, "sleep_here()", 3, 0x8), frame(0x9000, "gleak::detail::entry", 1, 0x10, true)})};
  gi::TextOptions all;
  all.all_frames = true;
  EXPECT_EQ(samples(parse(gi::gzip(gi::goroutine_profile(s, {}))))[0].stack.size(), 1u);
  EXPECT_EQ(samples(parse(gi::gzip(gi::goroutine_profile(s, all))))[0].stack.size(), 2u);
}

TEST(Pprof, GunzipRefusesWhatIsNotGzip) { EXPECT_THROW(gi::gunzip("not gzip at all"), gi::InspectError); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

bool have_go_pprof() {
  std::string out;
  return run_command("go tool -n pprof >/dev/null 2>&1 && echo yes", &out) == 0 && out.find("yes") != std::string::npos;
}

class GleakDumpPprof : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Child>(std::vector<std::string>{GLEAK_STUCK_SERVER});
    ASSERT_TRUE(server_->wait_for("ready"));
    path_ = dir_.path() + "/goroutines.pb.gz";
    std::string out;
    ASSERT_EQ(run_command(std::string(GLEAK_CLI) + " dump --format=pprof " + std::to_string(server_->pid()) + " -o " +
                              path_ + " 2>&1",
                          &out),
              0)
        << out;
  }
  ArenaDir dir_;
  std::unique_ptr<Child> server_;
  std::string path_;
};

TEST_F(GleakDumpPprof, TheProfileCountsWhatTheProcessHolds) {
  pb::Profile p = parse(slurp(path_));
  gi::Snapshot s = gi::read_pid(server_->pid());
  std::map<std::string, int64_t> by_reason, expected;
  for (Sample x : samples(p)) by_reason[x.labels["state"] + "/" + x.labels["wait_reason"]] += x.count;
  for (const gi::Goroutine& g : s.goroutines) {
    ++expected[std::string(gleak::arena::goroutine_state_name(g.state)) + "/" +
               gleak::arena::wait_reason_name(g.wait_reason)];
  }
  EXPECT_EQ(by_reason, expected);
  EXPECT_EQ(by_reason["waiting/chan receive"], 3);
  bool ingest = false;
  for (Sample x : samples(p)) {
    if (x.labels["wait_reason"] != "chan receive") continue;
    for (const auto& loc : x.stack) {
      for (const auto& fn : loc) ingest = ingest || fn.find("ingest_worker") != std::string::npos;
    }
  }
  EXPECT_TRUE(ingest);
}

TEST_F(GleakDumpPprof, GoToolPprofOpensItWithoutWarnings) {
  if (!have_go_pprof()) GTEST_SKIP() << "go tool pprof is not installed (Debian: golang-go); skipped";
  const std::pair<const char*, const char*> modes[] = {
      {"-top", "ingest_worker"}, {"-traces", "ingest_worker"}, {"-tags", "chan receive"}};
  for (const auto& [mode, shows] : modes) {
    std::string out;
    ASSERT_EQ(run_command("go tool pprof " + std::string(mode) + " " + path_ + " 2>&1", &out), 0) << out;
    EXPECT_EQ(out.find("arning"), std::string::npos) << mode << ":\n" << out;
    EXPECT_EQ(out.find("rror"), std::string::npos) << mode << ":\n" << out;
    EXPECT_NE(out.find(shows), std::string::npos) << mode << ":\n" << out;
  }
  std::string out;
  ASSERT_EQ(run_command("go tool pprof -top " + path_ + " 2>&1", &out), 0);
  std::size_t n = gi::read_pid(server_->pid()).goroutines.size();
  EXPECT_NE(out.find("of " + std::to_string(n) + " total"), std::string::npos) << out;
}

TEST(GleakDump, AnUnknownFormatIsAUsageError) {
  std::string out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " dump --format=svg 1 2>&1", &out), 2) << out;
}

}  // namespace
