// `gleak run` and `gleak baseline` end to end: the exit code on a clean program, a
// leaking one, a deadlocking one, a panicking one and one that leaves a goroutine that
// is not provably leaked; programs started by the command's own children; baselines;
// and the JUnit and JSON reports, read back with real parsers (expat, nlohmann::json).
#include <expat.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/child_process.h"

using gleak::testing_support::ArenaDir;
using gleak::testing_support::run_command;

namespace {

const std::string kGleak = GLEAK_CLI;
const std::string kLeakyExit = std::string(GLEAK_SAMPLES_BIN) + "/leaky_exit";
const std::string kForkJoin = std::string(GLEAK_SAMPLES_BIN) + "/fork_join";
const std::string kPanicCrash = std::string(GLEAK_SAMPLES_BIN) + "/panic_crash";
const std::string kDeadlock = std::string(GLEAK_SAMPLES_BIN) + "/deadlock";
const std::string kLeft = std::string(GLEAK_GATE_BIN) + "/gate_left_target";
const std::string kPlainThread = std::string(GLEAK_GATE_BIN) + "/gate_plain_thread_target";

// Each test runs the gate with its own arena directory (the gate makes a private one
// inside it) and its own scratch files there.
class Gate : public testing::Test {
 protected:
  // gleak() runs `gleak <args>` and returns its exit status; the report (stderr) and
  // the command's output are in out_.
  int gleak(const std::string& args) { return run_command(kGleak + " " + args + " 2>&1", &out_); }
  std::string file(const std::string& name) const { return dir_.path() + "/" + name; }
  static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  ArenaDir dir_;
  std::string out_;
};

TEST_F(Gate, ACleanProgramPasses) {
  EXPECT_EQ(gleak("run -- " + kForkJoin), 0) << out_;
  EXPECT_NE(out_.find("all workers finished"), std::string::npos) << out_;
  EXPECT_NE(out_.find("checked at exit: 0 goroutine(s) left"), std::string::npos) << out_;
  EXPECT_NE(out_.find("gleak run: PASS (exit 0)"), std::string::npos) << out_;
}

TEST_F(Gate, AProvenLeakAtExitFailsWithTen) {
  EXPECT_EQ(gleak("run -- " + kLeakyExit), 10) << out_;
  EXPECT_NE(out_.find("main: invalid request, giving up"), std::string::npos) << out_;
  EXPECT_NE(out_.find("1 goroutine leaked [chan send]"), std::string::npos) << out_;
  EXPECT_NE(out_.find("[chan send (leaked)"), std::string::npos) << out_;
  EXPECT_NE(out_.find("why: nothing that can still run refers to"), std::string::npos) << out_;
  EXPECT_NE(out_.find("leaky_exit.cc:"), std::string::npos) << out_;
}

TEST_F(Gate, ADeadlockFailsWithEleven) {
  EXPECT_EQ(gleak("run -- " + kDeadlock), 11) << out_;
  EXPECT_NE(out_.find("=== deadlock in pid "), std::string::npos) << out_;
  EXPECT_NE(out_.find("fatal error: all goroutines are asleep - deadlock!"), std::string::npos) << out_;
  EXPECT_NE(out_.find("consumer: giving up after 3"), std::string::npos) << out_;
}

TEST_F(Gate, APanicFailsWithTwelve) {
  EXPECT_EQ(gleak("run -- " + kPanicCrash), 12) << out_;
  EXPECT_NE(out_.find("=== panic in pid "), std::string::npos) << out_;
  EXPECT_NE(out_.find("panic: cannot process item 3 (in process(int))"), std::string::npos) << out_;
}

TEST_F(Gate, AGoroutineLeftThatIsNotProvenLeakedFailsOnlyWhenStrict) {
  EXPECT_EQ(gleak("run -- " + kLeft), 0) << out_;
  EXPECT_NE(out_.find("1 goroutine still alive at exit [chan receive]"), std::string::npos) << out_;
  EXPECT_NE(out_.find("not failing without --strict"), std::string::npos) << out_;
  EXPECT_EQ(gleak("run --strict -- " + kLeft), 13) << out_;
}

TEST_F(Gate, AProgramThatNeverCallsRunIsCheckedAtExitToo) {
  EXPECT_EQ(gleak("run -- " + kPlainThread), 10) << out_;
  EXPECT_NE(out_.find("1 goroutine leaked [chan receive]"), std::string::npos) << out_;
}

TEST_F(Gate, ProgramsStartedByTheCommandsChildrenAreCheckedAndTheWorstWins) {
  EXPECT_EQ(gleak("run -- sh -c '" + kForkJoin + " && " + kLeakyExit + " && " + kPanicCrash + "; exit 0'"), 12)
      << out_;
  EXPECT_NE(out_.find("fork_join: checked at exit"), std::string::npos) << out_;
  EXPECT_NE(out_.find("leaky_exit: checked at exit: 1 goroutine(s) left, 1 proven leaked"), std::string::npos) << out_;
  EXPECT_NE(out_.find("panic_crash: crashed"), std::string::npos) << out_;
}

TEST_F(Gate, ACommandThatFailsWithoutFindingsFailsWithOne) {
  EXPECT_EQ(gleak("run -- sh -c 'exit 3'"), 1) << out_;
  EXPECT_NE(out_.find("exited with status 3"), std::string::npos) << out_;
}

TEST_F(Gate, ACommandThatCannotBeRunFailsWithEight) {
  EXPECT_EQ(gleak("run -- /nonexistent/program"), 8) << out_;
  EXPECT_NE(out_.find("/nonexistent/program: No such file or directory"), std::string::npos) << out_;
}

TEST_F(Gate, BadUsageIsExitTwo) {
  EXPECT_EQ(gleak("run"), 2) << out_;
  EXPECT_EQ(gleak("run --baseline /nonexistent/baseline -- " + kForkJoin), 2) << out_;
  EXPECT_EQ(gleak("run --frobnicate -- " + kForkJoin), 2) << out_;
}

TEST_F(Gate, ABaselineListsTheLeakBySignatureAndThenKeepsItFromFailing) {
  ASSERT_EQ(gleak("baseline -o " + file("baseline.txt") + " -- " + kLeakyExit), 0) << out_;
  std::string baseline = slurp(file("baseline.txt"));
  // kind, wait reason, created by, blocked in: no ids, addresses or line numbers.
  EXPECT_NE(baseline.find("\nleak\tchan send\tmain::{lambda}\tmain::{lambda}::{lambda}\n"), std::string::npos)
      << baseline;
  EXPECT_EQ(baseline.find("0x"), std::string::npos) << baseline;
  EXPECT_EQ(baseline.find(".cc:"), std::string::npos) << baseline;

  EXPECT_EQ(gleak("run --baseline " + file("baseline.txt") + " -- " + kLeakyExit), 0) << out_;
  EXPECT_NE(out_.find("known (in the baseline)"), std::string::npos) << out_;
  // A new leak still fails: the baseline knows leaky_exit's, not plain_thread_target's.
  EXPECT_EQ(gleak("run --baseline " + file("baseline.txt") + " -- sh -c '" + kLeakyExit + "; " + kPlainThread + "'"),
            10)
      << out_;
}

TEST_F(Gate, ABaselineNeverHidesAPanic) {
  EXPECT_EQ(gleak("baseline -o " + file("baseline.txt") + " -- " + kPanicCrash), 12) << out_;
  EXPECT_NE(out_.find("no baseline written"), std::string::npos) << out_;
}

TEST_F(Gate, JsonNamesEachFindingWithItsSignature) {
  ASSERT_EQ(gleak("run --json " + file("run.json") + " -- sh -c '" + kLeakyExit + "; " + kLeft + "'"), 10) << out_;
  auto j = nlohmann::json::parse(slurp(file("run.json")));
  EXPECT_EQ(j["schema"], "gleak.run");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["exit_code"], 10);
  EXPECT_EQ(j["command_status"], 0);
  ASSERT_EQ(j["findings"].size(), 2u) << j.dump(2);
  std::map<std::string, nlohmann::json> by_kind;
  for (const auto& f : j["findings"]) by_kind[f["kind"]] = f;
  EXPECT_TRUE(by_kind["leak"]["fails"].get<bool>());
  EXPECT_EQ(by_kind["leak"]["wait_reason"], "chan send");
  EXPECT_EQ(by_kind["leak"]["signature"], "leak\tchan send\tmain::{lambda}\tmain::{lambda}::{lambda}");
  EXPECT_FALSE(by_kind["left"]["fails"].get<bool>());
  EXPECT_EQ(by_kind["left"]["wait_reason"], "chan receive");
}

// JUnit, as CI servers read it: <testsuites><testsuite><testcase> with a <failure> or
// <skipped> child.
struct JUnit {
  struct Case {
    std::string classname, name, failure_message, failure_text;
    bool failed = false, skipped = false;
  };
  std::map<std::string, std::string> suite;  // attributes of <testsuite>
  std::vector<Case> cases;
  bool in_failure = false;
  int depth = 0;

  static void start(void* self, const char* name, const char** attrs) {
    auto* j = static_cast<JUnit*>(self);
    std::map<std::string, std::string> a;
    for (int i = 0; attrs[i]; i += 2) a[attrs[i]] = attrs[i + 1];
    std::string n = name;
    if (n == "testsuite") j->suite = a;
    if (n == "testcase") j->cases.push_back({a["classname"], a["name"], "", "", false, false});
    if (n == "failure") {
      j->cases.back().failed = true;
      j->cases.back().failure_message = a["message"];
      j->in_failure = true;
    }
    if (n == "skipped") j->cases.back().skipped = true;
  }
  static void end(void* self, const char* name) {
    if (std::string(name) == "failure") static_cast<JUnit*>(self)->in_failure = false;
  }
  static void text(void* self, const char* s, int len) {
    auto* j = static_cast<JUnit*>(self);
    if (j->in_failure) j->cases.back().failure_text.append(s, static_cast<std::size_t>(len));
  }

  // parse() is false when the document is not well-formed XML.
  bool parse(const std::string& doc) {
    XML_Parser p = XML_ParserCreate(nullptr);
    XML_SetUserData(p, this);
    XML_SetElementHandler(p, start, end);
    XML_SetCharacterDataHandler(p, text);
    bool ok = XML_Parse(p, doc.data(), static_cast<int>(doc.size()), 1) == XML_STATUS_OK;
    XML_ParserFree(p);
    return ok;
  }
};

TEST_F(Gate, JUnitHasOneFailingTestCasePerFinding) {
  ASSERT_EQ(gleak("run --junit " + file("run.xml") + " -- sh -c '" + kLeakyExit + "; " + kPanicCrash + "'"), 12)
      << out_;
  JUnit j;
  std::string doc = slurp(file("run.xml"));
  ASSERT_TRUE(j.parse(doc)) << doc;
  // The panic and the leak, then the command itself (it exited with panic_crash's 2).
  ASSERT_EQ(j.cases.size(), 3u) << doc;
  EXPECT_EQ(j.suite["tests"], "3");
  EXPECT_EQ(j.suite["failures"], "3");
  std::map<std::string, JUnit::Case> by_class;
  for (const auto& c : j.cases) by_class[c.classname] = c;
  EXPECT_TRUE(by_class["gleak.leak"].failed);
  EXPECT_EQ(by_class["gleak.leak"].name, "main::{lambda}::{lambda} [chan send] created by main::{lambda}");
  EXPECT_NE(by_class["gleak.leak"].failure_text.find("[chan send (leaked)"), std::string::npos) << doc;
  EXPECT_TRUE(by_class["gleak.panic"].failed);
  EXPECT_EQ(by_class["gleak.panic"].name, "panic: cannot process item 3 in process(int)");
  EXPECT_NE(by_class["gleak.panic"].failure_text.find("goroutine 2 [running]:"), std::string::npos) << doc;
  EXPECT_TRUE(by_class["gleak.run"].failed);
}

TEST_F(Gate, JUnitNamesSurviveTheAngleBracketsOfTemplates) {
  ASSERT_EQ(gleak("run --strict --junit " + file("run.xml") + " -- " + kLeft), 13) << out_;
  JUnit j;
  std::string doc = slurp(file("run.xml"));
  ASSERT_TRUE(j.parse(doc)) << doc;
  ASSERT_EQ(j.cases.size(), 1u) << doc;
  EXPECT_EQ(j.cases[0].classname, "gleak.left");
  EXPECT_TRUE(j.cases[0].failed);
  EXPECT_NE(j.cases[0].name.find("void serve<int>(gleak::Chan<int>, gleak::Chan<gleak::Unit>) [chan receive]"),
            std::string::npos)
      << j.cases[0].name;
}

TEST_F(Gate, JUnitOfACleanRunIsOnePassingTestCase) {
  ASSERT_EQ(gleak("run --junit " + file("run.xml") + " -- " + kForkJoin), 0) << out_;
  JUnit j;
  std::string doc = slurp(file("run.xml"));
  ASSERT_TRUE(j.parse(doc)) << doc;
  ASSERT_EQ(j.cases.size(), 1u) << doc;
  EXPECT_FALSE(j.cases[0].failed);
  EXPECT_EQ(j.suite["failures"], "0");
}

TEST_F(Gate, JUnitMarksBaselinedFindingsSkipped) {
  ASSERT_EQ(gleak("baseline -o " + file("baseline.txt") + " -- " + kLeakyExit), 0) << out_;
  ASSERT_EQ(gleak("run --baseline " + file("baseline.txt") + " --junit " + file("run.xml") + " -- " + kLeakyExit), 0)
      << out_;
  JUnit j;
  std::string doc = slurp(file("run.xml"));
  ASSERT_TRUE(j.parse(doc)) << doc;
  ASSERT_EQ(j.cases.size(), 1u) << doc;
  EXPECT_TRUE(j.cases[0].skipped);
  EXPECT_FALSE(j.cases[0].failed);
  EXPECT_EQ(j.suite["skipped"], "1");
}

}  // namespace

// A base directory another user made (or may write to) is refused before anything runs:
// planted arenas there could fake the verdict, and a swapped `run-` directory could
// steer the clean-up.
TEST_F(Gate, AnArenaDirectoryOthersMayWriteIsRefused) {
  std::string base = file("shared");
  ASSERT_EQ(mkdir(base.c_str(), 0700), 0);
  ASSERT_EQ(chmod(base.c_str(), 0777), 0);
  EXPECT_EQ(run_command("GLEAK_DIR=" + base + " " + kGleak + " run -- " + kForkJoin + " 2>&1", &out_), 5) << out_;
  EXPECT_NE(out_.find("may be written by other users"), std::string::npos) << out_;
  EXPECT_EQ(out_.find("all workers finished"), std::string::npos) << out_;
}

TEST_F(Gate, AnArenaDirectoryOfAnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  std::string base = file("theirs");
  ASSERT_EQ(mkdir(base.c_str(), 0755), 0);
  ASSERT_EQ(chown(base.c_str(), 65534, 65534), 0);
  EXPECT_EQ(run_command("GLEAK_DIR=" + base + " " + kGleak + " run -- " + kForkJoin + " 2>&1", &out_), 5) << out_;
  EXPECT_NE(out_.find("belongs to uid 65534"), std::string::npos) << out_;
}

// The clean-up removes what is in the run directory it made, through a handle on that
// directory: a program that swaps the directory for a link to somewhere else cannot
// make it delete anything there.
TEST_F(Gate, TheCleanUpNeverFollowsASwappedRunDirectory) {
  std::string victim = file("victim");
  ASSERT_EQ(mkdir(victim.c_str(), 0700), 0);
  { std::ofstream(victim + "/keep.txt") << "precious\n"; }
  std::string swap = "sh -c 'mv \"$GLEAK_DIR\" \"$GLEAK_DIR.moved\" && ln -s " + victim + " \"$GLEAK_DIR\"'";
  gleak("run -- " + swap);
  EXPECT_EQ(slurp(victim + "/keep.txt"), "precious\n") << out_;
}
