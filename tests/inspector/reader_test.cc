// Reading real processes from outside: a stuck server, a process whose workers never
// yield, a killed one, a crashed one, and things that are not gleak processes at all.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "inspector/read/arena_file.h"
#include "inspector/errors.h"
#include "inspector/read/reader.h"
#include "inspector/report/report_text.h"
#include "tests/child_process.h"

namespace gi = gleak::inspector;

namespace {

using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;

// run_cli() runs the gleak command and returns its exit status and output.
int run_cli(const std::string& args, std::string* out) {
  return gleak::testing_support::run_command(std::string(GLEAK_CLI) + " " + args + " 2>&1", out);
}

// marker_line() is the line of `source` that carries the comment `marker`.
int marker_line(const std::string& source, const std::string& marker) {
  std::ifstream in(source);
  std::string l;
  for (int n = 1; std::getline(in, l); ++n) {
    auto at = l.find(marker);
    if (at != std::string::npos && at + marker.size() == l.size()) return n;
  }
  return -1;
}

const gi::Frame* top_user_frame(const gi::Goroutine& g) {
  for (const gi::Frame& f : g.stack) {
    if (!f.runtime) return &f;
  }
  return nullptr;
}

bool top_function_contains(const gi::Goroutine& g, const std::string& name) {
  const gi::Frame* f = top_user_frame(g);
  return f != nullptr && f->function.find(name) != std::string::npos;
}

struct Expect {
  const char* function;  // top user frame
  const char* marker;    // the `// wait:` / `// go:` marker name in stuck_server.cc
  gi::WaitReason reason;
  gi::GoroutineState state;
  int count;
};

const Expect kStuck[] = {
    {"ingest_worker", "ingest", gi::WaitReason::kChanReceive, gi::GoroutineState::kWaiting, 3},
    {"publish_worker", "publish", gi::WaitReason::kChanSend, gi::GoroutineState::kWaiting, 2},
    {"cache_holder", "holder", gi::WaitReason::kSleep, gi::GoroutineState::kWaiting, 1},
    {"cache_reader", "reader", gi::WaitReason::kMutexLock, gi::GoroutineState::kWaiting, 2},
    {"shutdown_waiter", "shutdown", gi::WaitReason::kWaitGroupWait, gi::GoroutineState::kWaiting, 1},
    {"watchdog", "watchdog", gi::WaitReason::kSelect, gi::GoroutineState::kWaiting, 1},
};

int count_matching(const gi::Snapshot& s, const Expect& e) {
  int n = 0;
  for (const auto& g : s.goroutines) {
    n += top_function_contains(g, e.function) && g.state == e.state && g.wait_reason == e.reason;
  }
  return n;
}

bool all_stuck(const gi::Snapshot& s) {
  for (const Expect& e : kStuck) {
    if (count_matching(s, e) != e.count) return false;
  }
  // Goroutine 1 prints "ready", then enters its blocking call.
  for (const auto& g : s.goroutines) {
    if (g.id == 1 && g.state != gi::GoroutineState::kSyscall) return false;
  }
  return true;
}

// read_when_stuck() reads the server until every goroutine has reached its wait: it
// prints "ready" just before the last of them block, so a read may come a moment early.
gi::Snapshot read_when_stuck(pid_t pid) {
  gi::Snapshot s;
  for (int attempt = 0; attempt < 500; ++attempt) {
    s = gi::read_pid(pid);
    if (all_stuck(s)) return s;
    sched_yield();
  }
  return s;
}

std::string stuck_server_source() { return std::string(GLEAK_SOURCE_DIR) + "/samples/stuck_server.cc"; }

}  // namespace

TEST(StuckServer, EveryGoroutineIsShownWithItsWaitReason) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  gi::Snapshot s = read_when_stuck(server.pid());
  for (const Expect& e : kStuck) EXPECT_EQ(count_matching(s, e), e.count) << e.function;
  const gi::Goroutine* main_g = nullptr;
  for (const auto& g : s.goroutines) {
    if (g.id == 1) main_g = &g;
  }
  ASSERT_NE(main_g, nullptr);
  EXPECT_EQ(main_g->state, gi::GoroutineState::kSyscall);
  EXPECT_EQ(s.source, gi::Source::kLiveProcess);
  EXPECT_TRUE(s.consistent);
  EXPECT_EQ(s.goroutines.size(), 11u);
}

TEST(StuckServer, FramesPointAtTheBlockingLineAndTheGoStatement) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  gi::Snapshot s = read_when_stuck(server.pid());
  for (const Expect& e : kStuck) {
    int wait_line = marker_line(stuck_server_source(), std::string("// wait: ") + e.marker);
    int go_line = marker_line(stuck_server_source(), std::string("// go: ") + e.marker);
    ASSERT_GT(wait_line, 0) << e.marker;
    ASSERT_GT(go_line, 0) << e.marker;
    for (const auto& g : s.goroutines) {
      if (!top_function_contains(g, e.function)) continue;
      const gi::Frame* top = top_user_frame(g);
      EXPECT_NE(top->file.find("samples/stuck_server.cc"), std::string::npos) << e.function;
      EXPECT_EQ(top->line, wait_line) << e.function;
      ASSERT_TRUE(g.created_by.has_value()) << e.function;
      EXPECT_EQ(g.created_by->line, go_line) << e.function;
      EXPECT_EQ(g.parent_id, 1u) << e.function;
    }
  }
}

TEST(StuckServer, WaitedObjectsAreInTheObjectTable) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  gi::Snapshot s = read_when_stuck(server.pid());
  std::map<uint64_t, gi::ObjectKind> kinds;
  for (const auto& o : s.objects) kinds[o.address] = o.kind;
  for (const auto& g : s.goroutines) {
    if (top_function_contains(g, "cache_reader")) {
      EXPECT_EQ(kinds[g.wait_object], gi::ObjectKind::kMutex);
    }
    if (top_function_contains(g, "ingest_worker")) {
      EXPECT_EQ(kinds[g.wait_object], gi::ObjectKind::kChannel);
    }
    if (top_function_contains(g, "shutdown_waiter")) {
      EXPECT_EQ(kinds[g.wait_object], gi::ObjectKind::kWaitGroup);
    }
  }
  // The holder of the cache mutex is recorded as its owner.
  uint64_t holder = 0;
  for (const auto& g : s.goroutines) {
    if (top_function_contains(g, "cache_holder")) holder = g.id;
  }
  bool owner_seen = false;
  for (const auto& o : s.objects) owner_seen |= o.kind == gi::ObjectKind::kMutex && o.word0 == holder;
  EXPECT_TRUE(owner_seen);
}

TEST(StuckServer, TheTargetRunsOnAfterBeingRead) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  gi::Snapshot s = gi::read_pid(server.pid());
  EXPECT_TRUE(s.consistent);
  // It was stopped and let go: it still answers SIGTERM and exits normally, and its
  // arena is removed.
  kill(server.pid(), SIGTERM);
  EXPECT_TRUE(server.wait_for("got signal"));
  int status = server.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(gi::find_arena(server.pid()), "");
}

TEST(StuckServer, CliDumpPrintsGoFormatAndJson) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  read_when_stuck(server.pid());
  std::string out;
  ASSERT_EQ(run_cli("dump " + std::to_string(server.pid()), &out), 0) << out;
  EXPECT_NE(out.find("[chan receive]:\n"), std::string::npos) << out;
  EXPECT_NE(out.find("[sync.Mutex.Lock]:\n"), std::string::npos) << out;
  EXPECT_NE(out.find("created by "), std::string::npos) << out;
  ASSERT_EQ(run_cli("dump --json " + std::to_string(server.pid()), &out), 0) << out;
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["schema"], "gleak.snapshot");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["goroutines"].size(), 11u);
  ASSERT_EQ(run_cli("dump --group " + std::to_string(server.pid()), &out), 0) << out;
  EXPECT_NE(out.find("3 goroutines [chan receive]:"), std::string::npos) << out;
}

// Reading again with a cache of parked stacks (gleak top) gives the stacks a fresh
// read gives, and reuses those of the goroutines that stayed parked.
TEST(StuckServer, ParkedStacksAreReusedOnlyWhileTheGoroutineStaysParked) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  gi::ReadOptions ro;
  ro.consistent = false;
  ro.parked_stacks = gi::make_parked_stacks();
  gi::Snapshot first = gi::read_pid(server.pid(), ro);
  std::size_t cached = gi::parked_stacks_size(*ro.parked_stacks);
  std::size_t parked = 0;
  for (const auto& g : first.goroutines) parked += g.state == gi::GoroutineState::kWaiting;
  EXPECT_GE(cached, parked - 1) << "every goroutine parked while read is cached (one may have just woken)";
  EXPECT_GT(cached, 0u);
  gi::Snapshot again = gi::read_pid(server.pid(), ro);
  gi::ReadOptions fresh_opt;
  fresh_opt.consistent = false;
  gi::Snapshot fresh = gi::read_pid(server.pid(), fresh_opt);
  std::size_t compared = 0;
  for (const auto& g : again.goroutines) {
    const gi::Goroutine* f = fresh.goroutine(g.id);
    if (f == nullptr || g.state != gi::GoroutineState::kWaiting || f->state != gi::GoroutineState::kWaiting ||
        g.wait_reason != f->wait_reason || g.wait_reason == gi::WaitReason::kSleep) {
      continue;  // it moved between the two reads
    }
    ASSERT_EQ(g.stack.size(), f->stack.size()) << "goroutine " << g.id;
    for (std::size_t i = 0; i < g.stack.size(); ++i) EXPECT_EQ(g.stack[i].pc, f->stack[i].pc) << "goroutine " << g.id;
    ++compared;
  }
  EXPECT_GE(compared, 3u);
}

TEST(StuckServer, PsListsIt) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  std::string out;
  ASSERT_EQ(run_cli("ps", &out), 0) << out;
  EXPECT_NE(out.find(std::to_string(server.pid())), std::string::npos) << out;
  EXPECT_NE(out.find("stuck_server"), std::string::npos) << out;
}

// ps --json lists the live and the dead; --prune removes only the dead ones' arenas,
// and with --older-than only those left long enough ago.
TEST(StuckServer, PsPrunesOnlyTheArenasOfProcessesThatAreGone) {
  ArenaDir dir;
  Child live({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(live.wait_for("ready"));
  pid_t dead_pid;
  {
    Child dead({GLEAK_STUCK_SERVER});
    ASSERT_TRUE(dead.wait_for("ready"));
    dead_pid = dead.pid();
  }  // killed: its arena stays
  std::string dead_arena = dir.path() + "/" + std::to_string(dead_pid) + ".arena";
  std::string out;
  ASSERT_EQ(run_cli("ps --json", &out), 0) << out;
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["schema"], "gleak.ps");
  ASSERT_EQ(j["processes"].size(), 2u) << out;
  EXPECT_EQ(j["processes"][0]["pid"], live.pid());
  EXPECT_EQ(j["processes"][0]["state"], "running");
  EXPECT_EQ(j["processes"][0]["goroutines"], 11);
  EXPECT_EQ(j["processes"][1]["pid"], dead_pid);
  EXPECT_EQ(j["processes"][1]["state"], "gone");
  EXPECT_EQ(j["processes"][1]["arena"], dead_arena);

  ASSERT_EQ(run_cli("ps --prune --older-than 1h", &out), 0) << out;
  EXPECT_EQ(access(dead_arena.c_str(), F_OK), 0) << "removed an arena written just now";
  ASSERT_EQ(run_cli("ps --prune", &out), 0) << out;
  EXPECT_NE(out.find("removed " + dead_arena + " (pid " + std::to_string(dead_pid) + ", gone)"), std::string::npos)
      << out;
  EXPECT_NE(access(dead_arena.c_str(), F_OK), 0);
  EXPECT_NE(out.find(std::to_string(live.pid())), std::string::npos) << out;
  ASSERT_EQ(run_cli("ps --json", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["processes"].size(), 1u) << out;
  EXPECT_EQ(run_cli("ps --prune --older-than 10x", &out), 2) << out;
}

// dump's filters: by state, wait reason, function on the stack, creator, id; they
// combine, with each other and with --json; a bad one is a usage error.
TEST(StuckServer, DumpFiltersKeepOnlyWhatIsAskedFor) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  std::string pid = std::to_string(server.pid());
  std::string out;
  auto ids = [&](const std::string& args) {
    std::vector<uint64_t> got;
    if (run_cli("dump --json " + args + " " + pid, &out) != 0) {
      ADD_FAILURE() << args << ": " << out;
      return got;
    }
    nlohmann::json j = nlohmann::json::parse(out);
    for (const auto& g : j["goroutines"]) got.push_back(g["id"]);
    std::sort(got.begin(), got.end());
    return got;
  };
  EXPECT_EQ(ids("--wait-reason 'chan receive'"), (std::vector<uint64_t>{2, 3, 4})) << out;
  EXPECT_EQ(ids("--state syscall"), (std::vector<uint64_t>{1})) << out;
  EXPECT_EQ(ids("--state waiting --match watchdog"), (std::vector<uint64_t>{11})) << out;
  EXPECT_EQ(ids("--goroutine 9 --goroutine 10"), (std::vector<uint64_t>{9, 10})) << out;
  EXPECT_EQ(ids("--created-by 'main' --state syscall"), (std::vector<uint64_t>{})) << out;  // main was not go()'d
  EXPECT_EQ(ids("--created-by 'main' --wait-reason select").size(), 1u) << out;
  EXPECT_EQ(ids("--min-wait 1h"), (std::vector<uint64_t>{})) << out;
  ASSERT_EQ(run_cli("dump --group --wait-reason 'chan receive' " + pid, &out), 0) << out;
  EXPECT_NE(out.find("# 3 of 11 goroutines shown (filtered)"), std::string::npos) << out;
  EXPECT_NE(out.find("3 goroutines [chan receive]:"), std::string::npos) << out;
  EXPECT_EQ(run_cli("dump --state sleeping " + pid, &out), 2) << out;
  EXPECT_EQ(run_cli("dump --match '(' " + pid, &out), 2) << out;
  EXPECT_EQ(run_cli("dump --min-wait soon " + pid, &out), 2) << out;
}

// gleak diff: a process against its own earlier JSON dump is unchanged; against
// another program, every bucket is new or gone, with its counts.
TEST(StuckServer, DiffComparesBucketsOfPidsFilesAndJsonDumps) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  std::string pid = std::to_string(server.pid());
  std::string out;
  ASSERT_EQ(run_cli("dump --json " + pid, &out), 0) << out;
  std::string saved = dir.path() + "/before.json";
  std::ofstream(saved) << out;
  ASSERT_EQ(run_cli("diff " + saved + " " + pid, &out), 0) << out;
  EXPECT_NE(out.find("11 goroutines (+0)"), std::string::npos) << out;
  EXPECT_EQ(out.find("\ngrew:"), std::string::npos) << out;
  EXPECT_EQ(out.find("\nnew:"), std::string::npos) << out;

  Child crasher({GLEAK_PANIC_CRASH});
  ASSERT_EQ(WEXITSTATUS(crasher.wait()), 2);
  std::string arena = dir.path() + "/" + std::to_string(crasher.pid()) + ".arena";
  ASSERT_EQ(run_cli("diff --json " + saved + " " + arena, &out), 0) << out;
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["schema"], "gleak.diff");
  EXPECT_EQ(j["a"]["goroutines"], 11);
  long gone = 0, fresh = 0;
  for (const auto& b : j["buckets"]) {
    std::string kind = b["change"];
    EXPECT_TRUE(kind == "gone" || kind == "new") << b.dump();
    (kind == "gone" ? gone : fresh) += b["delta"].get<long>();
  }
  EXPECT_EQ(gone, -11) << out;
  EXPECT_EQ(fresh, j["b"]["goroutines"].get<long>()) << out;
  EXPECT_EQ(run_cli("diff " + saved + " /nonexistent", &out), 3) << out;
}

// Labels set with gleak::set_label() show in the text dump's headers, in its JSON, as
// separate buckets and pprof sample labels, and in trace track names.
TEST(Labels, DumpJsonGroupsPprofAndTraceShowThem) {
  ArenaDir dir;
  Child target({GLEAK_PARKED, "4", "labels"});
  ASSERT_TRUE(target.wait_for("ready"));
  std::string pid = std::to_string(target.pid());
  std::string out;
  ASSERT_EQ(run_cli("dump " + pid, &out), 0) << out;
  // main set shard last to 1, after its last go().
  EXPECT_NE(out.find("goroutine 1 [sleep, labels: {\"service\":\"parked\", \"shard\":\"1\"}]:"), std::string::npos)
      << out;
  EXPECT_NE(out.find("goroutine 2 [chan receive (nil chan), labels: {\"service\":\"parked\", \"shard\":\"0\"}]:"),
            std::string::npos)
      << out;
  ASSERT_EQ(run_cli("dump --group " + pid, &out), 0) << out;
  EXPECT_NE(out.find("2 goroutines [chan receive (nil chan), labels: {\"service\":\"parked\", \"shard\":\"0\"}]:"),
            std::string::npos)
      << out;
  ASSERT_EQ(run_cli("dump --json " + pid, &out), 0) << out;
  nlohmann::json j = nlohmann::json::parse(out);
  int shard1 = 0;
  for (const auto& g : j["goroutines"]) shard1 += g["labels"].value("shard", "") == "1";
  EXPECT_EQ(shard1, 3) << out;  // main and two of the four
  std::string trace = dir.path() + "/trace.json";
  ASSERT_EQ(run_cli("trace " + pid + " -o " + trace + " --duration 100ms", &out), 0) << out;
  std::ifstream in(trace);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("shard\\\":\\\"1"), std::string::npos) << text.substr(0, 2000);
  // Counted (gleak ps, gleak agent): the same label sets, as read whole.
  gi::ReadOptions counts;
  counts.counts_only = true;
  gi::Snapshot c = gi::read_pid(target.pid(), counts);
  gi::Snapshot whole = gi::read_pid(target.pid());
  EXPECT_TRUE(c.goroutines.empty());
  EXPECT_EQ(c.counts.total, whole.counts.total);
  EXPECT_EQ(c.counts.total, 5u);
  uint64_t labelled_shard1 = 0;
  for (const auto& g : c.counts.groups) {
    for (const auto& [k, v] : g.labels) labelled_shard1 += k == "shard" && v == "1" ? g.count : 0;
  }
  EXPECT_EQ(labelled_shard1, 3u);
  ASSERT_EQ(c.counts.groups.size(), whole.counts.groups.size());
  for (std::size_t i = 0; i < c.counts.groups.size(); ++i) {
    EXPECT_EQ(c.counts.groups[i].labels, whole.counts.groups[i].labels);
    EXPECT_EQ(c.counts.groups[i].count, whole.counts.groups[i].count);
  }
}

TEST(HungProcess, WorkersThatNeverYieldAreUnwoundFromTheirThreads) {
  ArenaDir dir;
  Child spinner({GLEAK_SPINNER});
  ASSERT_TRUE(spinner.wait_for("ready"));
  gi::Snapshot s = gi::read_pid(spinner.pid());
  EXPECT_TRUE(s.consistent);
  int running_with_stack = 0;
  for (const auto& g : s.goroutines) {
    if (g.state != gi::GoroutineState::kRunning) continue;
    for (const auto& f : g.stack) {
      if (f.function.find("spin_forever") != std::string::npos) {
        ++running_with_stack;
        break;
      }
    }
  }
  EXPECT_EQ(running_with_stack, 2);
}

TEST(DeadProcess, AKilledProcessLeavesAnArenaThatStillReads) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  read_when_stuck(server.pid());
  kill(server.pid(), SIGKILL);
  server.wait();
  gi::Snapshot s = gi::read_pid(server.pid());
  EXPECT_EQ(s.source, gi::Source::kDeadProcess);
  EXPECT_EQ(s.goroutines.size(), 11u);
  for (const Expect& e : kStuck) {
    int n = 0;
    for (const auto& g : s.goroutines) n += g.wait_reason == e.reason;
    EXPECT_GE(n, e.count) << e.function;
  }
  ASSERT_FALSE(s.warnings.empty());
}

TEST(DeadProcess, ACrashedProcessIsDumpedWithThePanicFirst) {
  ArenaDir dir;
  Child crasher({GLEAK_PANIC_CRASH});
  int status = crasher.wait();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 2);
  gi::Snapshot s = gi::read_pid(crasher.pid());
  ASSERT_TRUE(s.crash.has_value());
  EXPECT_EQ(s.crash->message, "panic: cannot process item 3");
  EXPECT_EQ(s.state, gi::ProcessState::kCrashed);
  bool user_frame = false;
  for (const auto& f : s.crash->stack) user_frame |= !f.runtime && f.function.find("process") != std::string::npos;
  EXPECT_TRUE(user_frame);
  std::string out;
  ASSERT_EQ(run_cli("dump " + std::to_string(crasher.pid()), &out), 0) << out;
  auto panic_at = out.find("panic: cannot process item 3");
  auto first_goroutine = out.find("goroutine ");
  ASSERT_NE(panic_at, std::string::npos) << out;
  EXPECT_LT(panic_at, first_goroutine) << out;
  EXPECT_NE(out.find("[running]:\nprocess(int)"), std::string::npos) << out;
}

// arena_of() is the arena file a target left in the test's arena directory.
std::string arena_of(const ArenaDir& dir, pid_t pid) { return dir.path() + "/" + std::to_string(pid) + ".arena"; }

TEST(DeadProcess, ThePostMortemDumpShowsTheCreationChainAndTheRecoveredPanic) {
  ArenaDir dir;
  Child crasher({GLEAK_CRASHER, "panic"});
  int status = crasher.wait();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 2);
  std::string out;
  ASSERT_EQ(run_cli("dump " + arena_of(dir, crasher.pid()), &out), 0) << out;
  // After the CLI's `# pid ...` lines, the panic comes first.
  EXPECT_EQ(out.find("panic: order 8 refused\n\ngoroutine 4 [running]:\n"), out.find("\npanic: ") + 1) << out;
  EXPECT_LT(out.find("panic: "), out.find("goroutine ")) << out;
  std::size_t crashed_block = out.find("\n\n", out.find("[running]:"));
  std::size_t created = out.find("created by (anonymous namespace)::dispatch(gleak::Chan<gleak::Unit>) in goroutine 3\n");
  std::size_t chain = out.find("goroutine 3 was created by main::{lambda}::{lambda} in goroutine 2\n");
  std::size_t chain2 = out.find("goroutine 2 was created by main::{lambda} in goroutine 1\n");
  std::size_t recovered = out.find("recovered panic: order 7 refused\n\tthrown at (anonymous namespace)::refuse_order(int) ");
  std::size_t recover_site = out.find("\trecovered in (anonymous namespace)::handle_orders(gleak::Chan<gleak::Unit>) ");
  ASSERT_NE(created, std::string::npos) << out;
  EXPECT_LT(created, chain) << out;
  EXPECT_LT(chain, chain2) << out;
  EXPECT_NE(chain2, std::string::npos) << out;
  EXPECT_LT(chain2, recovered) << out;
  EXPECT_NE(recovered, std::string::npos) << out;
  EXPECT_NE(recover_site, std::string::npos) << out;
  EXPECT_LT(recover_site, crashed_block) << out;  // all of it in the crashed goroutine's block
  EXPECT_NE(out.find("crasher.cc:" + std::to_string(marker_line(std::string(GLEAK_SOURCE_DIR) +
                                                                    "/tests/inspector/targets/crasher.cc",
                                                                "// recover: handle_orders"))),
            std::string::npos)
      << out;

  std::string json;
  ASSERT_EQ(run_cli("dump --json " + arena_of(dir, crasher.pid()), &json), 0) << json;
  auto j = nlohmann::json::parse(json);
  ASSERT_EQ(j["recovered_panics"].size(), 1u) << json;
  EXPECT_EQ(j["recovered_panics"][0]["goroutine"], 4);
  EXPECT_EQ(j["recovered_panics"][0]["message"], "order 7 refused");
  EXPECT_EQ(j["recovered_panics"][0]["thrown_at"]["function"], "(anonymous namespace)::refuse_order(int)");
  // The creation chain recorded at the crash: goroutine 3 (by 2), goroutine 2 (by 1).
  const auto& ancestors = j["crash"]["ancestors"];
  ASSERT_EQ(ancestors.size(), 2u) << json;
  EXPECT_EQ(ancestors[0]["goroutine"], 3);
  EXPECT_EQ(ancestors[0]["parent_id"], 2);
  EXPECT_EQ(ancestors[1]["goroutine"], 2);
  EXPECT_EQ(ancestors[1]["parent_id"], 1);
  EXPECT_EQ(j["crash"]["ancestor_gone"], 0);
}

TEST(DeadProcess, ASignalReportedWithAddressesIsSymbolizedByTheDump) {
#if defined(__SANITIZE_ADDRESS__) || defined(GLEAK_SANITIZE_BUILD)
  GTEST_SKIP() << "fatal signals are left to the sanitizer";
#endif
  ArenaDir dir;
  Child crasher({GLEAK_CRASHER, "segv"});
  int status = crasher.wait();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 2);
  gi::Snapshot s = gi::read_file(arena_of(dir, crasher.pid()));
  ASSERT_TRUE(s.crash.has_value());
  EXPECT_EQ(s.crash->signal, SIGSEGV);
  EXPECT_EQ(s.crash->goroutine, 2u);
  std::string out;
  ASSERT_EQ(run_cli("dump " + arena_of(dir, crasher.pid()), &out), 0) << out;
  EXPECT_LT(out.find("unexpected signal during goroutine execution\n[signal SIGSEGV: segmentation violation code="),
            out.find("goroutine 2 [running]:"))
      << out;
  EXPECT_NE(out.find("goroutine 2 [running]:\n(anonymous namespace)::write_through_null()\n\t"), std::string::npos) << out;
}

TEST(ExitedProcess, SafeWorkSurvivesItsPanicAndTheKeptArenaShowsIt) {
  ArenaDir dir;
  setenv("GLEAK_KEEP_ARENA", "1", 1);
  Child work({GLEAK_SAFE_WORK});
  unsetenv("GLEAK_KEEP_ARENA");
  std::string all;
  for (std::string l = work.line(); !l.empty(); l = work.line()) all += l;
  int status = work.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(all.find("program survived; recovered errors: 1\n"), std::string::npos) << all;
  std::string out;
  ASSERT_EQ(run_cli("dump " + arena_of(dir, work.pid()), &out), 0) << out;
  EXPECT_NE(out.find("recovered panic: cannot process item 3\n\tthrown at process(int) "), std::string::npos) << out;
  EXPECT_NE(out.find("safe_work.cc:"), std::string::npos) << out;
  EXPECT_NE(out.find("\trecovered in "), std::string::npos) << out;
  gi::Snapshot s = gi::read_file(arena_of(dir, work.pid()));
  EXPECT_EQ(s.state, gi::ProcessState::kExited);
  ASSERT_EQ(s.recovered.size(), 1u);
  EXPECT_EQ(s.recovered[0].message, "cannot process item 3");
  int recover_events = 0;
  for (const auto& e : s.events) recover_events += e.kind == gleak::arena::EventKind::kRecover;
  EXPECT_EQ(recover_events, 1);
  // The totals agree with the events (none were overwritten in so short a run).
  int spawns = 0, exits = 0;
  for (const auto& e : s.events) {
    spawns += e.kind == gleak::arena::EventKind::kSpawn;
    exits += e.kind == gleak::arena::EventKind::kExit;
  }
  EXPECT_EQ(s.totals.events_overwritten, 0u);
  EXPECT_EQ(s.totals.events_written, s.events.size());
  EXPECT_GT(spawns, 1);
  EXPECT_EQ(s.totals.goroutines_created, static_cast<uint64_t>(spawns));
  EXPECT_EQ(s.totals.goroutines_exited, static_cast<uint64_t>(exits));
  // (A worker that called wg.done() may not have ended yet when main returned.)
  EXPECT_LE(s.totals.goroutines_exited, s.totals.goroutines_created);
  EXPECT_EQ(s.totals.panics_recovered, 1u);
}

// 100,000 goroutines overwrite the rings many times over; the totals stay exact.
TEST(ExitedProcess, TotalsStayExactWhenTheRingsOverflow) {
  ArenaDir dir;
  setenv("GLEAK_KEEP_ARENA", "1", 1);
  Child many({GLEAK_HUNDRED_THOUSAND});
  unsetenv("GLEAK_KEEP_ARENA");
  ASSERT_TRUE(many.wait_for("spawned and joined 100000 goroutines"));
  ASSERT_TRUE(WIFEXITED(many.wait()));
  gi::Snapshot s = gi::read_file(arena_of(dir, many.pid()));
  EXPECT_GT(s.totals.events_overwritten, 100000u);
  EXPECT_EQ(s.totals.goroutines_created, 100001u);  // and run()'s main goroutine
  // All but the few a worker was still ending when main returned (one per worker).
  EXPECT_LE(s.totals.goroutines_exited, 100001u);
  EXPECT_GE(s.totals.goroutines_exited, 100001u - 4);
}

TEST(ExitedProcess, WithoutKeepArenaANormalExitRemovesTheArena) {
  ArenaDir dir;
  Child work({GLEAK_SAFE_WORK});
  while (!work.line().empty()) {
  }
  ASSERT_EQ(work.wait(), 0);
  EXPECT_NE(access(arena_of(dir, work.pid()).c_str(), F_OK), 0);
}

TEST(BadInput, ACorruptArenaIsRefusedWithItsOwnExitCode) {
  ArenaDir dir;
  std::string path = dir.path() + "/junk.arena";
  {
    std::ofstream f(path);
    f << std::string(4 << 20, 'x');
  }
  try {
    gi::read_file(path);
    FAIL() << "read a corrupt arena";
  } catch (const gi::InspectError& e) {
    EXPECT_EQ(e.code(), gi::ErrorCode::kCorrupt);
  }
  std::string out;
  EXPECT_EQ(run_cli("dump " + path, &out), 6) << out;
  EXPECT_NE(out.find("bad magic"), std::string::npos) << out;
}

TEST(BadInput, AnArenaOfAnotherVersionIsRefused) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  std::string copy = dir.path() + "/copy.arena";
  std::string cmd = "cp " + gi::find_arena(server.pid()) + " " + copy;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  // Bump the version field (right after the 8-byte magic).
  int fd = open(copy.c_str(), O_RDWR);
  uint32_t version = gleak::arena::kVersion + 1;
  ASSERT_EQ(pwrite(fd, &version, sizeof version, 8), static_cast<ssize_t>(sizeof version));
  close(fd);
  std::string out;
  EXPECT_EQ(run_cli("dump " + copy, &out), 6) << out;
  EXPECT_NE(out.find("version"), std::string::npos) << out;
}

TEST(BadInput, AProcessWithoutTheRuntimeIsNotAGleakProcess) {
  ArenaDir dir;
  Child plain({"/bin/cat"});  // waits on its stdin, which is ours: never ends by itself
  std::string out;
  EXPECT_EQ(run_cli("dump " + std::to_string(plain.pid()), &out), 4) << out;
  EXPECT_NE(out.find("not a gleak process"), std::string::npos) << out;
}

TEST(BadInput, APidWithNoProcessAndNoArenaIsReported) {
  ArenaDir dir;
  Child gone({"/bin/true"});
  gone.wait();
  std::string out;
  EXPECT_EQ(run_cli("dump " + std::to_string(gone.pid()), &out), 3) << out;
  EXPECT_EQ(run_cli("dump", &out), 2) << out;  // usage
}

// A consistent read copies parked stacks before it stops the target and keeps a copy
// only for a goroutine whose record has not changed since. In a target where goroutines
// keep yielding and main keeps sleeping, every goroutine that is not running must come
// out with a whole stack that agrees with its state, read after read.
TEST(Precopy, StacksCopiedBeforeTheStopAgreeWithTheStoppedState) {
  ArenaDir dir;
  Child target({GLEAK_PARKED, "3000", "busy"});
  ASSERT_TRUE(target.wait_for("ready"));
  for (int round = 0; round < 10; ++round) {
    gi::Snapshot s = gi::read_pid(target.pid());
    ASSERT_TRUE(s.consistent) << "round " << round;
    int checked = 0;
    for (const gi::Goroutine& g : s.goroutines) {
      if (g.state == gi::GoroutineState::kRunning) continue;
      // Stopped between its park and the next goroutine's first step: its worker's
      // registers are all that says where its stack ends.
      if (g.stack_note.rfind("stopped while switching", 0) == 0) continue;
      std::string functions;
      for (const gi::Frame& f : g.stack.frames()) functions += f.function + "\n";
      // A runnable goroutine is a worker between two yields, or main woken from its
      // sleep and not yet run again (its stack still parked in sleep).
      bool agrees = g.state == gi::GoroutineState::kRunnable
                        ? functions.find("yield") != std::string::npos || functions.find("sleep") != std::string::npos
                        : functions.find(g.wait_reason == gi::WaitReason::kSleep ? "sleep" : "recv") != std::string::npos;
      EXPECT_TRUE(g.stack_note.empty()) << "round " << round << ", goroutine " << g.id << ": " << g.stack_note;
      EXPECT_TRUE(agrees)
          << "round " << round << ", goroutine " << g.id << " [" << gi::goroutine_status(g) << "]:\n" << functions;
      ++checked;
    }
    EXPECT_GT(checked, 3000) << "round " << round;
  }
}
