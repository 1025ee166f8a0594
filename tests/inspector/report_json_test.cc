// tests/inspector/report_json_test.cc — to_json() (inspector/report/report_json.h) and the
// schema in docs/json-schema.md.
//
// Golden files are in testdata/ (dump.json, dump_grouped.json, crash.json). To rewrite
// them after an intended change, run with GLEAK_UPDATE_GOLDEN=1 and review the diff;
// see testdata/report_fixtures.h. A change that removes or renames a field, or changes
// its type or meaning, must also bump Snapshot::kSchemaVersion.
#include "inspector/report/report_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "testdata/report_fixtures.h"

namespace gleak::inspector {
namespace {

using fixtures::consumer;
using fixtures::crashed_snapshot;
using fixtures::expect_golden;
using fixtures::frame;
using fixtures::kMin;
using fixtures::kSec;
using fixtures::representative_snapshot;
using fixtures::waiting;
using nlohmann::json;

const TextOptions kPlain{};
const TextOptions kGroup{.group = true};

json parsed(const Snapshot& s, const TextOptions& opt = kPlain) { return json::parse(to_json(s, opt)); }

// goroutine_by_id() finds a goroutine in the JSON by id.
json goroutine_by_id(const json& j, uint64_t id) {
  for (const json& g : j.at("goroutines")) {
    if (g.at("id") == id) return g;
  }
  ADD_FAILURE() << "no goroutine " << id;
  return json();
}

TEST(Json, NamesItsSchemaAndVersionFirst) {
  json j = parsed(representative_snapshot());
  EXPECT_EQ(j.at("schema"), "gleak.snapshot");
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_EQ(to_json(Snapshot{}, kPlain).rfind("{\n  \"schema\": \"gleak.snapshot\",\n  \"version\": 1,\n", 0), 0u);
}

TEST(Json, ProcessFieldsAreTopLevelWithEnumsAsStrings) {
  json j = parsed(representative_snapshot());
  EXPECT_EQ(j.at("source"), "live_process");
  EXPECT_EQ(j.at("pid"), 4242);
  EXPECT_EQ(j.at("exe"), "/srv/orders/bin/orders");
  EXPECT_EQ(j.at("cmdline"), "orders --port 8080");
  EXPECT_EQ(j.at("state"), "running");
  EXPECT_EQ(j.at("procs"), 4);
  EXPECT_EQ(j.at("consistent"), true);
  EXPECT_EQ(j.at("stopped_ns"), 1'250'000);
  EXPECT_EQ(j.at("start_realtime_ns"), 1'767'225'600'000'000'000);
  EXPECT_EQ(j.at("events_lost"), 12);
  EXPECT_EQ(j.at("warnings"), json::array({"goroutine 11: record kept changing; shown as last read"}));
}

TEST(Json, GoroutineStateAndWaitReasonAreStrings) {
  json g = goroutine_by_id(parsed(representative_snapshot()), 2);
  EXPECT_EQ(g.at("state"), "waiting");
  EXPECT_EQ(g.at("wait_reason"), "chan receive");
  EXPECT_EQ(g.at("status"), "chan receive");
  EXPECT_EQ(g.at("wait_ns"), 61 * kSec);
}

TEST(Json, GoroutineWithoutWaitReasonHasNull) {
  json g = goroutine_by_id(parsed(representative_snapshot()), 9);
  EXPECT_TRUE(g.at("wait_reason").is_null());
  EXPECT_EQ(g.at("wait_ns"), -1);
}

TEST(Json, AddressesAndPcsAreHexStrings) {
  json j = parsed(representative_snapshot());
  json g = goroutine_by_id(j, 1);
  EXPECT_EQ(g.at("wait_object"), "0x7ffd5e3c2a10");
  EXPECT_EQ(g.at("stack").at(0).at("pc"), "0x402000");
  EXPECT_EQ(j.at("objects").at(0).at("address"), "0x7f3a0c001000");
}

TEST(Json, FramesCarryEveryField) {
  json f = goroutine_by_id(parsed(representative_snapshot()), 2).at("stack").at(2);
  EXPECT_EQ(f, json::parse(R"j({"pc": "0x401000", "function": "consume(gleak::Chan<Order>&)",
                               "file": "/src/orders/consume.cc", "line": 31, "offset": 71,
                               "module": "/srv/orders/bin/orders", "runtime": false})j"));
}

TEST(Json, RuntimeFramesAreAlwaysIncludedAndMarked) {
  json stack = goroutine_by_id(parsed(representative_snapshot()), 2).at("stack");
  ASSERT_EQ(stack.size(), 3u);
  EXPECT_EQ(stack.at(0).at("runtime"), true);
}

TEST(Json, FreeAndDeadGoroutinesAreIncluded) {
  EXPECT_EQ(goroutine_by_id(parsed(representative_snapshot()), 13).at("state"), "dead");
}

TEST(Json, MissingCreatedByIsNull) {
  EXPECT_TRUE(goroutine_by_id(parsed(representative_snapshot()), 1).at("created_by").is_null());
}

TEST(Json, ObjectKindIsAStringAndClosedIsSpelledOut) {
  json objects = parsed(representative_snapshot()).at("objects");
  EXPECT_EQ(objects.at(0).at("kind"), "chan");
  EXPECT_EQ(objects.at(1).at("kind"), "sync.Mutex");
  EXPECT_EQ(objects.at(2).at("kind"), "context");
  EXPECT_EQ(objects.at(2).at("closed"), true);
  EXPECT_EQ(objects.at(0).at("closed"), false);
}

TEST(Json, EventKindIsLowercaseAndParkNamesItsReason) {
  json events = parsed(representative_snapshot()).at("events");
  EXPECT_EQ(events.at(0).at("kind"), "spawn");
  EXPECT_EQ(events.at(1).at("kind"), "park");
  EXPECT_EQ(events.at(1).at("wait_reason"), "chan receive");
  EXPECT_FALSE(events.at(0).contains("wait_reason"));
  EXPECT_EQ(events.at(3).at("kind"), "recover");
  EXPECT_EQ(events.at(3).at("worker"), -1);
}

TEST(Json, CrashIsNullWithoutACrash) { EXPECT_TRUE(parsed(representative_snapshot()).at("crash").is_null()); }

TEST(Json, CrashCarriesMessageAndStack) {
  json c = parsed(crashed_snapshot()).at("crash");
  EXPECT_EQ(c.at("goroutine"), 3);
  EXPECT_EQ(c.at("message"), "panic: order 17 has no customer [std::runtime_error]");
  EXPECT_EQ(c.at("stack").size(), 3u);
}

TEST(Json, BucketsAppearOnlyWhenGrouping) {
  EXPECT_FALSE(parsed(representative_snapshot()).contains("buckets"));
  EXPECT_TRUE(parsed(representative_snapshot(), kGroup).at("buckets").is_array());
}

TEST(Json, BucketCarriesIdsStatusAndWaitRange) {
  Snapshot s;
  s.goroutines = {consumer(2, 61 * kSec), consumer(3, 3 * kMin), consumer(4, 5 * kSec)};
  json b = parsed(s, kGroup).at("buckets").at(0);
  EXPECT_EQ(b.at("count"), 3);
  EXPECT_EQ(b.at("ids"), json::array({2, 3, 4}));
  EXPECT_EQ(b.at("status"), "chan receive");
  EXPECT_EQ(b.at("min_wait_ns"), 5 * kSec);
  EXPECT_EQ(b.at("max_wait_ns"), 3 * kMin);
  EXPECT_EQ(b.at("parent_ids"), json::array({1}));
  EXPECT_EQ(b.at("stack").size(), 2u);  // the runtime frame is hidden, as in the text
  EXPECT_EQ(b.at("created_by").at("function"), "start_consumers(gleak::Chan<Order>&, int)");
}

TEST(Json, BucketOfGoroutinesWithoutAWaitHasNoWaitRange) {
  Snapshot s;
  s.goroutines = {fixtures::goroutine(1, GoroutineState::kRunnable)};
  json b = parsed(s, kGroup).at("buckets").at(0);
  EXPECT_EQ(b.at("min_wait_ns"), -1);
  EXPECT_EQ(b.at("max_wait_ns"), -1);
}

TEST(Json, InvalidUtf8IsReplacedInsteadOfThrowing) {
  Snapshot s;
  s.exe = "/bin/caf\xe9";
  Goroutine g = waiting(1, WaitReason::kSleep, 0);
  g.stack = {frame("f\xff()", "/src/\xc3", 1, 0x1)};
  s.goroutines = {g};
  std::string out;
  ASSERT_NO_THROW(out = to_json(s, kPlain));
  json j = json::parse(out);
  EXPECT_EQ(j.at("exe"), "/bin/caf\xef\xbf\xbd");
}

TEST(Json, EndsWithTheClosingBraceAndNoNewline) {
  std::string out = to_json(Snapshot{}, kPlain);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '}');
}

TEST(Golden, JsonDumpMatchesGolden) { expect_golden("dump.json", to_json(representative_snapshot(), kPlain)); }

TEST(Golden, GroupedJsonDumpMatchesGolden) {
  expect_golden("dump_grouped.json", to_json(representative_snapshot(), kGroup));
}

TEST(Golden, CrashJsonMatchesGolden) { expect_golden("crash.json", to_json(crashed_snapshot(), kPlain)); }

}  // namespace
}  // namespace gleak::inspector
