// gleak agent, from the outside: real target programs (the samples), the agent as a
// child process, and real clients — an HTTP client, promtool, Debian's Prometheus
// server scraping the agent, and `go tool pprof` reading from it.
//
// promtool, prometheus and go are installed by scripts/setup. Where one is missing the
// test that needs it is skipped, except under CI=true, where it fails.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/child_process.h"

namespace {

using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;
using gleak::testing_support::stopped_threads;
using Json = nlohmann::json;

// REQUIRE_TOOL(check, name): the tool `name` can be run; missing, the test is skipped (failed under CI).
#define REQUIRE_TOOL(check, name)                                                          \
  do {                                                                                     \
    if (!(check)) {                                                                        \
      if (std::getenv("CI") != nullptr) FAIL() << name << " is not installed (scripts/setup installs it)"; \
      GTEST_SKIP() << name << " is not installed (scripts/setup installs it); skipped";   \
    }                                                                                      \
  } while (0)

bool have(const std::string& command) {
  std::string out;
  return run_command(command + " >/dev/null 2>&1 && echo yes", &out) == 0 && out.find("yes") != std::string::npos;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Agent is `gleak agent` on a free loopback port, as a child process.
class Agent {
 public:
  explicit Agent(std::vector<std::string> args, std::vector<std::string> prefix = {}) {
    std::vector<std::string> argv = std::move(prefix);
    argv.insert(argv.end(), {GLEAK_CLI, "agent", "--listen", "127.0.0.1:0"});
    argv.insert(argv.end(), args.begin(), args.end());
    child_ = std::make_unique<Child>(argv);
    std::string line = child_->line();
    std::smatch m;
    if (std::regex_search(line, m, std::regex("listening on http://127\\.0\\.0\\.1:([0-9]+)"))) port_ = std::stoi(m[1]);
  }
  int port() const { return port_; }
  pid_t pid() const { return child_->pid(); }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  httplib::Result get(const std::string& path, const httplib::Headers& headers = {}) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c.Get(path.c_str(), headers);
  }

  // raw() sends bytes as they are (no client tidies the path) and returns the status.
  int raw(const std::string& request) const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd);
      return -1;
    }
    for (std::size_t at = 0; at < request.size();) {
      ssize_t w = send(fd, request.data() + at, request.size() - at, MSG_NOSIGNAL);
      if (w <= 0) break;
      at += static_cast<std::size_t>(w);
    }
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
      reply.append(buf, static_cast<std::size_t>(n));
      if (reply.find("\r\n") != std::string::npos) break;
    }
    close(fd);
    std::smatch m;
    if (std::regex_search(reply, m, std::regex("^HTTP/1\\.[01] ([0-9]{3})"))) return std::stoi(m[1]);
    return 0;
  }

 private:
  std::unique_ptr<Child> child_;
  int port_ = 0;
};

// Sample is one metric sample: its labels and value.
struct Sample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// samples() parses the samples of `name` from an exposition (labels without escapes,
// which the samples' labels do not need).
std::vector<Sample> samples(const std::string& text, const std::string& name) {
  std::vector<Sample> out;
  std::istringstream in(text);
  static const std::regex kLabel("([a-zA-Z_][a-zA-Z0-9_]*)=\"([^\"]*)\"");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    Sample s;
    std::size_t close = line.rfind('}');
    std::string labels = close == std::string::npos ? "" : line.substr(name.size() + 1, close - name.size() - 1);
    for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
      s.labels[(*it)[1]] = (*it)[2];
    }
    s.value = std::stod(line.substr(line.rfind(' ') + 1));
    out.push_back(s);
  }
  return out;
}

// sum() adds the samples of `name` whose labels include `match`.
double sum(const std::string& text, const std::string& name, const std::map<std::string, std::string>& match) {
  double total = 0;
  for (const Sample& s : samples(text, name)) {
    bool all = true;
    for (const auto& [k, v] : match) all = all && s.labels.count(k) && s.labels.at(k) == v;
    if (all) total += s.value;
  }
  return total;
}

Json dump_json(pid_t pid) {
  std::string out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " dump --json " + std::to_string(pid) + " 2>/dev/null", &out), 0);
  return Json::parse(out, nullptr, false);
}

// by_state() counts a dump's goroutines as gleak_goroutines does: "state/wait reason".
std::map<std::string, double> by_state(const Json& dump) {
  std::map<std::string, double> n;
  for (const Json& g : dump["goroutines"]) {
    std::string state = g["state"];
    if (state == "free" || state == "dead") continue;
    std::string reason = state == "waiting" || state == "syscall" ? g.value("wait_reason", "") : "";
    ++n[state + "/" + reason];
  }
  return n;
}

std::size_t proven_leaks(pid_t pid) {
  std::string out;
  run_command(std::string(GLEAK_CLI) + " leaks --json " + std::to_string(pid) + " 2>/dev/null", &out);
  Json j = Json::parse(out, nullptr, false);
  std::size_t n = 0;
  for (const Json& f : j["findings"]) n += f["certainty"] == "proven";
  return n;
}

// eventually() polls `ready` until it holds or the time is up (a state, never a delay).
template <class F>
bool eventually(F ready, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("GLEAK_CLI", GLEAK_CLI, 1);  // deadlock's runtime runs it for its deadlock check
    server_ = std::make_unique<Child>(std::vector<std::string>{GLEAK_STUCK_SERVER});
    ASSERT_TRUE(server_->wait_for("ready"));
  }
  std::string pid() const { return std::to_string(server_->pid()); }

  ArenaDir dir_;
  std::unique_ptr<Child> server_;
};

TEST_F(AgentTest, MetricsCountTheGoroutinesAsTheDumpDoes) {
  Agent agent({"--leaks-every", "0"});
  ASSERT_GT(agent.port(), 0);
  auto res = agent.get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  Json dump = dump_json(server_->pid());
  std::map<std::string, double> got;
  for (const Sample& s : samples(res->body, "gleak_goroutines")) {
    if (s.labels.at("pid") != pid()) continue;
    got[s.labels.at("state") + "/" + (s.labels.count("wait_reason") ? s.labels.at("wait_reason") : "")] += s.value;
    EXPECT_EQ(s.labels.at("exe"), "stuck_server");
  }
  EXPECT_EQ(got, by_state(dump));
  EXPECT_EQ(got["waiting/chan receive"], 3);
  const Json& totals = dump["totals"];
  EXPECT_EQ(sum(res->body, "gleak_goroutines_created_total", {{"pid", pid()}}), totals["goroutines_created"].get<double>());
  EXPECT_EQ(sum(res->body, "gleak_goroutines_exited_total", {{"pid", pid()}}), totals["goroutines_exited"].get<double>());
  EXPECT_GE(totals["goroutines_created"].get<double>(), 1 + got.size());
  EXPECT_EQ(sum(res->body, "gleak_process_up", {{"pid", pid()}}), 1);
  EXPECT_EQ(sum(res->body, "gleak_process_crashed", {{"pid", pid()}}), 0);
  // Every blocked goroutine is in the histogram, and in its +Inf bucket.
  double blocked = 0;
  for (const auto& [k, n] : got) blocked += k.rfind("waiting/", 0) == 0 || k.rfind("syscall/", 0) == 0 ? n : 0;
  EXPECT_EQ(sum(res->body, "gleak_goroutine_wait_seconds_count", {{"pid", pid()}}), blocked);
  EXPECT_EQ(sum(res->body, "gleak_goroutine_wait_seconds_bucket", {{"pid", pid()}, {"le", "+Inf"}}), blocked);
  // No leak analysis ran (--leaks-every 0): no leak counts, rather than zeros.
  EXPECT_TRUE(samples(res->body, "gleak_leaked_goroutines").empty());
  EXPECT_EQ(stopped_threads(server_->pid()), 0);
}

TEST_F(AgentTest, TheExpositionPassesPromtool) {
  REQUIRE_TOOL(have("promtool --version"), "promtool");
  Agent agent({"--leaks-every", "0"});
  auto res = agent.get("/metrics");
  ASSERT_TRUE(res);
  std::string path = dir_.path() + "/metrics.txt";
  write_file(path, res->body);
  std::string out;
  EXPECT_EQ(run_command("promtool check metrics < " + path + " 2>&1", &out), 0) << out << "\n" << res->body;
}

// Metrics read the arenas only. A stopping reader takes the arena's lock first; with
// the lock held elsewhere, /metrics still answers, at once, with the counts.
TEST_F(AgentTest, MetricsNeverStopTheTarget) {
  Agent agent({"--leaks-every", "0"});
  int fd = open((dir_.path() + "/" + pid() + ".arena").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);
  for (int i = 0; i < 20; ++i) {
    auto res = agent.get("/metrics");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_GT(sum(res->body, "gleak_goroutines", {{"pid", pid()}}), 0);
  }
  EXPECT_EQ(stopped_threads(server_->pid()), 0);
  close(fd);
}

TEST_F(AgentTest, GoroutineProfilesAnswerAsGosNetHttpPprofDoes) {
  Agent agent({"--leaks-every", "0", "--min-stop-interval", "0"});
  Json dump = dump_json(server_->pid());
  double total = 0;
  for (const auto& [k, n] : by_state(dump)) total += n;

  auto text = agent.get("/debug/pprof/goroutine?pid=" + pid() + "&debug=1");
  ASSERT_TRUE(text);
  ASSERT_EQ(text->status, 200);
  EXPECT_EQ(text->body.rfind("goroutine profile: total " + std::to_string(static_cast<int>(total)) + "\n", 0), 0u)
      << text->body;
  EXPECT_NE(text->body.find("ingest_worker"), std::string::npos) << text->body;
  EXPECT_TRUE(std::regex_search(text->body, std::regex("\n3 @( 0x[0-9a-f]+)+\n#\t0x[0-9a-f]+\t"))) << text->body;

  auto full = agent.get("/debug/pprof/goroutine?pid=" + pid() + "&debug=2");
  ASSERT_TRUE(full);
  ASSERT_EQ(full->status, 200);
  EXPECT_NE(full->body.find("[chan receive"), std::string::npos) << full->body;
  EXPECT_NE(full->body.find("created by "), std::string::npos);

  auto gz = agent.get("/debug/pprof/goroutine?pid=" + pid());
  ASSERT_TRUE(gz);
  ASSERT_EQ(gz->status, 200);
  ASSERT_GE(gz->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[1]), 0x8b);
  EXPECT_EQ(stopped_threads(server_->pid()), 0);
}

TEST_F(AgentTest, GoToolPprofReadsTheProfileFromTheAgent) {
  REQUIRE_TOOL(have("go tool -n pprof"), "go tool pprof");
  Agent agent({"--leaks-every", "0"});
  std::string out;
  std::string home = dir_.path() + "/pprof-home";  // pprof saves what it fetched under $HOME/pprof
  ASSERT_EQ(run_command("HOME=" + home + " go tool pprof -top '" + agent.url("/debug/pprof/goroutine?pid=" + pid()) +
                            "' 2>&1",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("ingest_worker"), std::string::npos) << out;
  EXPECT_NE(out.find("Type: goroutine"), std::string::npos) << out;
}

// leaky_service serves on while five of its goroutines have leaked (stuck_server's
// goroutines are all still reachable: it has none).
TEST_F(AgentTest, TheLeaksEndpointGivesTheAnalysisAsGleakLeaksDoes) {
  Child service({GLEAK_LEAKY_SERVICE});
  ASSERT_TRUE(service.wait_for("serving"));
  // Two of its leaks happen when late answers arrive, after it says it serves.
  ASSERT_TRUE(eventually([&] { return proven_leaks(service.pid()) == 5; }));
  std::string spid = std::to_string(service.pid());
  Agent agent({"--leaks-every", "0"});
  auto res = agent.get("/debug/gleak/leaks?pid=" + spid);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  Json j = Json::parse(res->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << res->body;
  EXPECT_EQ(j["schema"], "gleak.leaks");
  std::size_t proven = 0;
  for (const Json& f : j["findings"]) proven += f["certainty"] == "proven";
  EXPECT_EQ(proven, 5u);
  EXPECT_EQ(proven, proven_leaks(service.pid()));
  // The analysis it ran is in the metrics too.
  auto m = agent.get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(sum(m->body, "gleak_leaked_goroutines", {{"pid", spid}, {"certainty", "proven"}}),
            static_cast<double>(proven));
  EXPECT_TRUE(samples(m->body, "gleak_leaked_goroutines").size() == 2u) << "only the process analysed has leak counts";
  EXPECT_EQ(stopped_threads(service.pid()), 0);
}

TEST_F(AgentTest, PeriodicLeakAnalysesBecomeMetrics) {
  Child service({GLEAK_LEAKY_SERVICE});
  ASSERT_TRUE(service.wait_for("serving"));
  // Two of its leaks happen when late answers arrive, after it says it serves.
  ASSERT_TRUE(eventually([&] { return proven_leaks(service.pid()) == 5; }));
  std::string spid = std::to_string(service.pid());
  Agent agent({"--leaks-every", "1h"});  // the first runs at once
  std::string body;
  ASSERT_TRUE(eventually([&] {
    auto res = agent.get("/metrics");
    body = res ? res->body : "";
    return samples(body, "gleak_leak_analysis_stop_seconds").size() == 2u;  // both processes analysed
  })) << body;
  EXPECT_EQ(sum(body, "gleak_leaked_goroutines", {{"pid", spid}, {"certainty", "proven"}}), 5);
  EXPECT_EQ(sum(body, "gleak_leaked_goroutines", {{"pid", spid}, {"certainty", "proven"}}),
            static_cast<double>(proven_leaks(service.pid())));
  EXPECT_EQ(sum(body, "gleak_leaked_goroutines", {{"pid", pid()}, {"certainty", "proven"}}), 0);
  for (const Sample& stop : samples(body, "gleak_leak_analysis_stop_seconds")) {
    EXPECT_GT(stop.value, 0);
    EXPECT_LT(stop.value, 10);
  }
  EXPECT_GE(sum(body, "gleak_agent_leak_analyses_total", {}), 2);
  EXPECT_EQ(sum(body, "gleak_agent_leak_analysis_errors_total", {}), 0);
  EXPECT_EQ(stopped_threads(server_->pid()), 0);
  EXPECT_EQ(stopped_threads(service.pid()), 0);
}

// A client asking in a loop cannot keep a service stopped: one stop per process per
// --min-stop-interval, and the periodic leak analysis counts as one.
TEST_F(AgentTest, RequestsThatStopAProcessAreRateLimited) {
  Agent agent({"--leaks-every", "0", "--min-stop-interval", "1h"});
  auto first = agent.get("/debug/pprof/goroutine?pid=" + pid() + "&debug=1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  auto again = agent.get("/debug/pprof/goroutine?pid=" + pid() + "&debug=2");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 429) << again->body;
  EXPECT_EQ(again->get_header_value("Retry-After"), "1");
  auto leaks = agent.get("/debug/gleak/leaks?pid=" + pid());
  ASSERT_TRUE(leaks);
  EXPECT_EQ(leaks->status, 429);
  auto m = agent.get("/metrics");  // reading the arena is not limited
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(sum(m->body, "gleak_agent_requests_refused_total", {{"reason", "too_often"}}), 2);
}

TEST_F(AgentTest, ProcessesAreListedAsGleakPsListsThem) {
  Agent agent({"--leaks-every", "0"});
  auto res = agent.get("/api/processes");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  Json j = Json::parse(res->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], "gleak.ps");
  ASSERT_EQ(j["processes"].size(), 1u) << res->body;
  EXPECT_EQ(j["processes"][0]["pid"], server_->pid());
  EXPECT_EQ(j["processes"][0]["state"], "running");
}

TEST_F(AgentTest, BadRequestsAreRefusedAndHarmNothing) {
  Agent agent({"--leaks-every", "0"});
  auto status = [&](const std::string& path) {
    auto res = agent.get(path);
    return res ? res->status : -1;
  };
  EXPECT_EQ(status("/debug/pprof/goroutine"), 400);                 // no pid
  EXPECT_EQ(status("/debug/pprof/goroutine?pid=abc"), 400);         // not a pid
  EXPECT_EQ(status("/debug/pprof/goroutine?pid=-1"), 400);
  EXPECT_EQ(status("/debug/pprof/goroutine?pid=1234567890123"), 400);
  EXPECT_EQ(status("/debug/pprof/goroutine?pid=" + pid() + "&debug=3"), 400);
  EXPECT_EQ(status("/debug/pprof/goroutine?pid=" + pid() + "&debug=1x"), 400);
  EXPECT_EQ(status("/debug/pprof/goroutine?pid=999999999"), 404);   // no such process
  EXPECT_EQ(status("/debug/pprof/goroutine?pid=1"), 404);           // a process, not a gleak one
  EXPECT_EQ(status("/debug/gleak/leaks?pid=1"), 404);
  EXPECT_EQ(status("/debug/pprof/heap"), 404);
  EXPECT_EQ(status("/etc/passwd"), 404);
  // Path traversal, sent raw so that no client tidies it first.
  EXPECT_EQ(agent.raw("GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
  EXPECT_EQ(agent.raw("GET /debug/pprof/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
  EXPECT_EQ(agent.raw("GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
  // Oversized: a request line, a header, a body.
  int long_uri = agent.raw("GET /metrics?" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(long_uri >= 400 && long_uri < 500) << long_uri;
  int long_header = agent.raw("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n");
  EXPECT_TRUE(long_header == -1 || long_header == 0 || (long_header >= 400 && long_header < 500)) << long_header;
  int big_body = agent.raw("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" +
                           std::string(65536, 'c'));
  EXPECT_TRUE(big_body >= 400 && big_body < 500) << big_body;
  EXPECT_EQ(agent.raw("garbage\r\n\r\n"), 400);
  // The agent still serves, and nothing was left stopped.
  auto res = agent.get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_GT(sum(res->body, "gleak_agent_requests_refused_total", {{"reason", "bad_request"}}), 0);
  EXPECT_GT(sum(res->body, "gleak_agent_requests_refused_total", {{"reason", "not_found"}}), 0);
  EXPECT_EQ(stopped_threads(server_->pid()), 0);
  EXPECT_EQ(kill(agent.pid(), 0), 0);
}

TEST_F(AgentTest, WithATokenEveryRequestMustCarryIt) {
  std::string token_file = dir_.path() + "/token";
  write_file(token_file, "s3cret-token\n");
  chmod(token_file.c_str(), 0600);
  Agent agent({"--leaks-every", "0", "--token-file", token_file});
  auto none = agent.get("/metrics");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  auto wrong = agent.get("/metrics", {{"Authorization", "Bearer s3cret-tokeX"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto shorter = agent.get("/debug/pprof/goroutine?pid=" + pid(), {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(shorter);
  EXPECT_EQ(shorter->status, 401);
  auto right = agent.get("/metrics", {{"Authorization", "Bearer s3cret-token"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  EXPECT_GT(sum(right->body, "gleak_goroutines", {{"pid", pid()}}), 0);
}

// On a unix socket, only the agent's user may connect: the file system says who.
TEST_F(AgentTest, AUnixSocketIsTheOwnersOnly) {
  std::string path = dir_.path() + "/agent.sock";
  Child agent({GLEAK_CLI, "agent", "--leaks-every", "0", "--listen", "unix:" + path});
  ASSERT_NE(agent.line().find("listening on unix:" + path), std::string::npos);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  httplib::Client c(path);
  c.set_address_family(AF_UNIX);
  auto res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_GT(sum(res->body, "gleak_goroutines", {{"pid", pid()}}), 0);
  kill(agent.pid(), SIGTERM);
  EXPECT_TRUE(WIFEXITED(agent.wait()));
  EXPECT_NE(stat(path.c_str(), &st), 0) << "the socket is removed when the agent stops";
}

TEST(AgentOptions, UnusableOptionsAreUsageErrors) {
  std::string out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " agent --listen nowhere 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("want host:port"), std::string::npos) << out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " agent --token-file /no/such/file 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("cannot read the token file"), std::string::npos) << out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " agent --leaks-every often 2>&1", &out), 2) << out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " agent --listen 203.0.113.7:9464 2>&1", &out), 7) << out;
  EXPECT_NE(out.find("cannot listen"), std::string::npos) << out;
}

// Another user's processes are not the agent's to serve: run as nobody, the agent
// neither lists nor reads a process of root's.
TEST_F(AgentTest, AnotherUsersProcessIsNotServed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to run the agent as another user";
  REQUIRE_TOOL(have("setpriv --version"), "setpriv");
  Agent agent({"--leaks-every", "0"}, {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  ASSERT_GT(agent.port(), 0);
  auto res = agent.get("/debug/pprof/goroutine?pid=" + pid() + "&debug=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
  auto leaks = agent.get("/debug/gleak/leaks?pid=" + pid());
  ASSERT_TRUE(leaks);
  EXPECT_EQ(leaks->status, 404);
  auto m = agent.get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(sum(m->body, "gleak_goroutines", {{"pid", pid()}}), 0);
  EXPECT_EQ(stopped_threads(server_->pid()), 0);
}

// free_port() is a loopback port nothing listens on now.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// query() is the vector Prometheus answers for a PromQL expression: labels → value.
std::vector<std::pair<Json, double>> query(int port, const std::string& promql) {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  std::vector<std::pair<Json, double>> out;
  if (!res || res->status != 200) return out;
  Json j = Json::parse(res->body, nullptr, false);
  if (j.is_discarded() || j["status"] != "success") return out;
  for (const Json& r : j["data"]["result"]) out.emplace_back(r["metric"], std::stod(r["value"][1].get<std::string>()));
  return out;
}

// Debian's Prometheus scrapes an agent that watches the samples: a live server with
// blocked goroutines, a service with leaks, a program that exited with its arena kept,
// and one that died of a deadlock.
TEST_F(AgentTest, PrometheusScrapesTheAgent) {
  REQUIRE_TOOL(have("prometheus --version"), "prometheus");
  // leaky_exit ends with a goroutine left blocked; its arena is kept for a post-mortem.
  setenv("GLEAK_KEEP_ARENA", "1", 1);
  Child leaky({GLEAK_LEAKY_EXIT});
  int leaky_status = leaky.wait();
  unsetenv("GLEAK_KEEP_ARENA");
  ASSERT_TRUE(WIFEXITED(leaky_status));
  Child deadlock({GLEAK_DEADLOCK});
  int deadlock_status = deadlock.wait();
  ASSERT_TRUE(WIFEXITED(deadlock_status) && WEXITSTATUS(deadlock_status) == 2) << deadlock_status;

  Child service({GLEAK_LEAKY_SERVICE});
  ASSERT_TRUE(service.wait_for("serving"));
  // Two of its leaks happen when late answers arrive, after it says it serves.
  ASSERT_TRUE(eventually([&] { return proven_leaks(service.pid()) == 5; }));

  Agent agent({"--leaks-every", "1h"});
  ASSERT_GT(agent.port(), 0);
  int port = free_port();
  std::string config = dir_.path() + "/prometheus.yml";
  write_file(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                     "scrape_configs:\n  - job_name: gleak\n    static_configs:\n      - targets: ['127.0.0.1:" +
                         std::to_string(agent.port()) + "']\n");
  Child prometheus({"/usr/bin/prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir_.path() + "/tsdb",
                    "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=error"});

  // The series arrive, and with them the first leak analysis.
  std::string live = pid(), exited = std::to_string(leaky.pid()), crashed = std::to_string(deadlock.pid());
  std::string leaking = std::to_string(service.pid());
  ASSERT_TRUE(eventually([&] {
    return !query(port, "gleak_leaked_goroutines{pid=\"" + leaking + "\",certainty=\"proven\"}").empty() &&
           !query(port, "gleak_process_crashed{pid=\"" + crashed + "\"}").empty();
  })) << "Prometheus has no gleak series from the agent";

  Json dump = dump_json(server_->pid());
  for (const auto& [key, n] : by_state(dump)) {
    std::string state = key.substr(0, key.find('/')), reason = key.substr(key.find('/') + 1);
    std::string promql = "sum(gleak_goroutines{pid=\"" + live + "\",state=\"" + state + "\",wait_reason=\"" + reason + "\"})";
    auto r = query(port, promql);
    ASSERT_EQ(r.size(), 1u) << promql;
    EXPECT_EQ(r[0].second, n) << promql;
  }
  auto leaked = query(port, "gleak_leaked_goroutines{pid=\"" + leaking + "\",certainty=\"proven\"}");
  ASSERT_EQ(leaked.size(), 1u);
  EXPECT_EQ(leaked[0].second, 5);
  EXPECT_EQ(leaked[0].second, static_cast<double>(proven_leaks(service.pid())));
  EXPECT_EQ(leaked[0].first["exe"], "leaky_service");
  EXPECT_EQ(leaked[0].first["job"], "gleak");

  auto up_crashed = query(port, "gleak_process_crashed{pid=\"" + crashed + "\"}");
  ASSERT_EQ(up_crashed.size(), 1u);
  EXPECT_EQ(up_crashed[0].second, 1);
  auto up_exited = query(port, "gleak_process_up{pid=\"" + exited + "\"}");
  ASSERT_EQ(up_exited.size(), 1u);
  EXPECT_EQ(up_exited[0].second, 0);
  auto exited_crashed = query(port, "gleak_process_crashed{pid=\"" + exited + "\"}");
  ASSERT_EQ(exited_crashed.size(), 1u);
  EXPECT_EQ(exited_crashed[0].second, 0);
  // The scrape itself is healthy, as Prometheus sees it.
  auto up = query(port, "up{job=\"gleak\"}");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].second, 1);
}

TEST(AgentAlerts, TheDocumentedRulesAreValidAndFireWhenTheyShould) {
  REQUIRE_TOOL(have("promtool --version"), "promtool");
  std::string out;
  std::string dir = std::string(GLEAK_SOURCE_DIR) + "/docs/fleet";
  EXPECT_EQ(run_command("promtool check rules " + dir + "/alerts.yml 2>&1", &out), 0) << out;
  EXPECT_EQ(run_command("cd " + dir + " && promtool test rules alerts_test.yml 2>&1", &out), 0) << out;
}

}  // namespace
