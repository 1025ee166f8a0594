// The Prometheus exposition of hand-made process entries: names, labels, escaping, and
// the limit on goroutine label sets.
#include "cli/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace {

namespace gi = gleak::inspector;
using gleak::cli::ProcessEntry;

ProcessEntry process(int pid, std::vector<gi::GoroutineGroup> groups) {
  ProcessEntry p;
  p.live = true;
  p.state = "running";
  p.snap.pid = pid;
  p.snap.exe = "/srv/bin/orders";
  p.snap.source = gi::Source::kLiveProcess;
  for (const auto& g : groups) p.snap.counts.total += g.count;
  p.snap.counts.groups = std::move(groups);
  return p;
}

gi::GoroutineGroup group(gi::GoroutineState s, gi::WaitReason r, uint64_t n,
                         std::vector<std::pair<std::string, std::string>> labels = {}) {
  return gi::GoroutineGroup{s, r, std::move(labels), n};
}

TEST(Metrics, GoroutineLabelsBecomePrometheusLabels) {
  auto p = process(42, {group(gi::GoroutineState::kWaiting, gi::WaitReason::kChanReceive, 3,
                              {{"handler", "orders"}, {"tenant.id", "a\"b\\c\nd"}})});
  std::string text = gleak::cli::render_metrics({p}, {}, {}, 0.001, 0);
  EXPECT_NE(text.find("gleak_goroutines{pid=\"42\",exe=\"orders\",state=\"waiting\",wait_reason=\"chan receive\","
                      "label_handler=\"orders\",label_tenant_id=\"a\\\"b\\\\c\\nd\"} 3\n"),
            std::string::npos)
      << text;
}

TEST(Metrics, LabelSetsBeyondTheLimitAreCountedWithoutTheirLabels) {
  std::vector<gi::GoroutineGroup> groups = {group(gi::GoroutineState::kRunnable, gi::WaitReason::kNone, 2)};
  for (int i = 0; i < 5; ++i) {
    groups.push_back(group(gi::GoroutineState::kRunnable, gi::WaitReason::kNone, 10, {{"request", std::to_string(i)}}));
  }
  gleak::cli::MetricsOptions opt;
  opt.max_label_sets = 2;
  std::string text = gleak::cli::render_metrics({process(7, groups)}, {}, {}, 0, 0, opt);
  EXPECT_NE(text.find("label_request=\"0\"} 10\n"), std::string::npos) << text;
  EXPECT_NE(text.find("label_request=\"1\"} 10\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("label_request=\"2\""), std::string::npos) << text;
  // 2 without labels, and the 3 sets beyond the limit.
  EXPECT_NE(text.find("gleak_goroutines{pid=\"7\",exe=\"orders\",state=\"runnable\"} 32\n"), std::string::npos) << text;
}

TEST(Metrics, LeakCountsAppearOnlyOnceAnAnalysisRan) {
  auto p = process(9, {group(gi::GoroutineState::kWaiting, gi::WaitReason::kChanSend, 1)});
  std::string before = gleak::cli::render_metrics({p}, {}, {}, 0, 0);
  EXPECT_EQ(before.find("gleak_leaked_goroutines{"), std::string::npos);
  gleak::cli::LeakStats st;
  st.proven = 1;
  st.stop_seconds = 0.004;
  std::string after = gleak::cli::render_metrics({p}, {{9, st}}, {}, 0, 0);
  EXPECT_NE(after.find("gleak_leaked_goroutines{pid=\"9\",exe=\"orders\",certainty=\"proven\"} 1\n"), std::string::npos);
  EXPECT_NE(after.find("gleak_leak_analysis_stop_seconds{pid=\"9\",exe=\"orders\"} 0.004\n"), std::string::npos);
}

TEST(Metrics, ADeadProcessShowsOnlyAsUpAndCrashed) {
  auto p = process(11, {group(gi::GoroutineState::kWaiting, gi::WaitReason::kChanSend, 1)});
  p.live = false;
  p.state = "crashed";
  p.snap.state = gi::ProcessState::kCrashed;
  std::string text = gleak::cli::render_metrics({p}, {}, {}, 0, 0);
  EXPECT_NE(text.find("gleak_process_up{pid=\"11\",exe=\"orders\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("gleak_process_crashed{pid=\"11\",exe=\"orders\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("gleak_goroutines{pid=\"11\""), std::string::npos);
}

TEST(Metrics, LabelNamesAreCleanedUp) {
  EXPECT_EQ(gleak::cli::prometheus_label_name("handler"), "label_handler");
  EXPECT_EQ(gleak::cli::prometheus_label_name("a.b-c/d"), "label_a_b_c_d");
  EXPECT_EQ(gleak::cli::prometheus_label_name("9x"), "label_9x");
}

}  // namespace
