// cli/agent.cc — see agent.h.
//
// The HTTP server is cpp-httplib (Debian's libcpp-httplib-dev): a well-kept, small
// server with thread pools, timeouts and limits built in, and no framework around it.
// civetweb would serve as well, but its C API needs more glue for the same result.
#include "cli/agent.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/metrics.h"
#include "arena/clock.h"
#include "cli/ps.h"
#include "inspector/errors.h"
#include "inspector/analyse/leaks.h"
#include "inspector/report/leaks_report.h"
#include "inspector/report/pprof.h"
#include "inspector/read/reader.h"
#include "inspector/report/report_text.h"

namespace gleak::cli {
namespace {

namespace gi = gleak::inspector;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double unix_now() { return static_cast<double>(clock_ns(CLOCK_REALTIME)) / 1e9; }

// Refusal is an answer other than 200: its status, and the reason it is counted under.
struct Refusal {
  int status;
  const char* reason;
  std::string message;
};

class Agent {
 public:
  explicit Agent(const AgentOptions& opt, std::string token) : opt_(opt), token_(std::move(token)) {}

  void install(httplib::Server& svr) {
    svr.Get("/", [this](const httplib::Request& q, httplib::Response& r) { serve(q, r, &Agent::index); });
    svr.Get("/metrics", [this](const httplib::Request& q, httplib::Response& r) { serve(q, r, &Agent::metrics); });
    svr.Get("/api/processes",
            [this](const httplib::Request& q, httplib::Response& r) { serve(q, r, &Agent::processes); });
    svr.Get("/debug/pprof/goroutine",
            [this](const httplib::Request& q, httplib::Response& r) { serve(q, r, &Agent::goroutine_profile); });
    svr.Get("/debug/gleak/leaks", [this](const httplib::Request& q, httplib::Response& r) { serve(q, r, &Agent::leaks); });
    svr.set_error_handler([this](const httplib::Request&, httplib::Response& r) {
      // Unknown paths (404), and what the server itself refused: a request line or
      // headers too long (414, 431), a body too large (413), a malformed request (400).
      const char* reason = r.status == 404 ? "not_found" : "bad_request";
      count_refusal(reason);
      if (r.body.empty()) {
        r.set_content(r.status == 404 ? "404 not found: see / for what this agent serves\n"
                                      : std::to_string(r.status) + " the request was refused\n",
                      "text/plain; charset=utf-8");
      }
    });
  }

  // leak_loop() analyses every running process every leaks_every until stop().
  void leak_loop() {
    std::unique_lock<std::mutex> lk(loop_mu_);
    while (!stopping_) {
      lk.unlock();
      analyse_all();
      lk.lock();
      loop_cv_.wait_for(lk, std::chrono::nanoseconds(opt_.leaks_every_ns), [this] { return stopping_; });
    }
  }

  void stop() {
    std::lock_guard<std::mutex> lk(loop_mu_);
    stopping_ = true;
    loop_cv_.notify_all();
  }

 private:
  using Handler = void (Agent::*)(const httplib::Request&, httplib::Response&);

  // serve() checks the token and the request limit, then runs the handler; an error is
  // an answer, never a crash of the agent.
  void serve(const httplib::Request& q, httplib::Response& r, Handler h) {
    std::optional<Refusal> refused;
    if (!authorized(q)) {
      refused = Refusal{401, "unauthorized", "401 unauthorized: this agent wants `Authorization: Bearer <token>`"};
      r.set_header("WWW-Authenticate", "Bearer");
    } else if (in_flight_.fetch_add(1) >= opt_.max_requests) {
      in_flight_.fetch_sub(1);
      refused = Refusal{503, "busy", "503 busy: too many requests at once; try again"};
      r.set_header("Retry-After", "1");
    } else {
      try {
        (this->*h)(q, r);
      } catch (const Refusal& f) {
        refused = f;
      } catch (const gi::InspectError& e) {
        refused = Refusal{e.code() == gi::ErrorCode::kNoSuchProcess || e.code() == gi::ErrorCode::kPermission ? 404 : 500,
                          e.code() == gi::ErrorCode::kNoSuchProcess ? "not_found" : "read_error", e.what()};
      } catch (const std::exception& e) {
        refused = Refusal{500, "internal", std::string("500 internal error: ") + e.what()};
      }
      in_flight_.fetch_sub(1);
    }
    if (refused) {
      if (refused->status == 429) r.set_header("Retry-After", "1");
      count_refusal(refused->reason);
      r.status = refused->status;
      r.set_content(refused->message + "\n", "text/plain; charset=utf-8");
    }
  }

  bool authorized(const httplib::Request& q) const {
    if (token_.empty()) return true;
    std::string want = "Bearer " + token_;
    std::string got = q.get_header_value("Authorization");
    // Compared in time that does not depend on where they first differ.
    unsigned diff = got.size() != want.size();
    for (std::size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned>(want[i] ^ (i < got.size() ? got[i] : 0));
    return diff == 0;
  }

  void count_refusal(const char* reason) {
    std::lock_guard<std::mutex> lk(counters_mu_);
    ++counters_.refused[reason];
  }

  void index(const httplib::Request&, httplib::Response& r) {
    r.set_content(
        "gleak agent\n\n"
        "/metrics                                  Prometheus metrics of every gleak process here\n"
        "/api/processes                            the processes (gleak ps --json)\n"
        "/debug/pprof/goroutine?pid=N&debug=0|1|2  goroutine profile, counts per stack, or the full dump\n"
        "/debug/gleak/leaks?pid=N                  the leak analysis (JSON)\n",
        "text/plain; charset=utf-8");
  }

  void metrics(const httplib::Request&, httplib::Response& r) {
    // Scrapes take turns: they share the mapped arenas.
    std::lock_guard<std::mutex> turn(scrape_mu_);
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> skipped;
    std::vector<ProcessEntry> all = list_processes(&skipped, &arenas_);
    double took = seconds_since(start);
    AgentCounters counters;
    std::map<int, LeakStats> leaks;
    {
      std::lock_guard<std::mutex> lk(counters_mu_);
      ++counters_.scrapes;
      counters_.scrape_errors += skipped.size();
      counters = counters_;
      leaks = leaks_;
    }
    r.set_content(render_metrics(all, leaks, counters, took, skipped.size()), "text/plain; version=0.0.4; charset=utf-8");
  }

  void processes(const httplib::Request&, httplib::Response& r) {
    r.set_content(processes_json(list_processes(nullptr)).dump(2) + "\n", "application/json");
  }

  // target() is the arena of the pid the request names, if the agent may serve it.
  ProcessEntry target(const httplib::Request& q) {
    std::string text = q.get_param_value("pid");
    if (text.empty()) throw Refusal{400, "bad_request", "400 bad request: pid=N is required (see /api/processes)"};
    if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
      throw Refusal{400, "bad_request", "400 bad request: pid must be a process id"};
    }
    int pid = std::stoi(text);
    // The running processes come first: a pid's live arena before one a dead process
    // with the same pid left behind.
    std::vector<std::string> skipped;
    for (ProcessEntry& en : list_processes(&skipped)) {
      if (en.snap.pid == pid) return std::move(en);
    }
    throw Refusal{404, "not_found", "404 not found: no gleak process " + text + " that this agent may read"};
  }

  // stop_turn() waits for the agent's single turn to stop a process, and refuses a
  // request for a process stopped less than min_stop_interval ago.
  std::unique_lock<std::timed_mutex> stop_turn(int pid, bool from_request) {
    std::unique_lock<std::timed_mutex> turn(stop_mu_, std::defer_lock);
    if (!turn.try_lock_for(std::chrono::nanoseconds(opt_.stop_wait_ns))) {
      throw Refusal{503, "busy", "503 busy: another request is stopping a process; try again"};
    }
    auto now = std::chrono::steady_clock::now();
    auto last = last_stop_.find(pid);
    if (from_request && last != last_stop_.end() &&
        now - last->second < std::chrono::nanoseconds(opt_.min_stop_interval_ns)) {
      throw Refusal{429, "too_often",
                    "429 too many requests: pid " + std::to_string(pid) + " was stopped less than " +
                        std::to_string(opt_.min_stop_interval_ns / 1000000) + " ms ago; try again later"};
    }
    if (last_stop_.size() > 4096) {  // forget the processes not stopped lately
      std::erase_if(last_stop_, [&](const auto& kv) {
        return now - kv.second >= std::chrono::nanoseconds(opt_.min_stop_interval_ns);
      });
    }
    last_stop_[pid] = now;
    return turn;
  }

  gi::Snapshot read(const ProcessEntry& en, bool memory) {
    gi::ReadOptions ro;
    ro.memory = memory && en.live;
    return gi::read_file(en.arena(), ro);
  }

  void goroutine_profile(const httplib::Request& q, httplib::Response& r) {
    std::string debug = q.has_param("debug") ? q.get_param_value("debug") : "0";
    if (debug != "0" && debug != "1" && debug != "2") {
      throw Refusal{400, "bad_request", "400 bad request: debug must be 0, 1 or 2"};
    }
    ProcessEntry en = target(q);
    gi::Snapshot s;
    {
      auto turn = stop_turn(en.snap.pid, true);
      s = read(en, false);
    }
    gi::TextOptions text;
    if (debug == "0") {
      r.set_header("Content-Disposition", "attachment; filename=\"goroutine\"");
      r.set_content(gi::gzip(gi::goroutine_profile(s, text)), "application/octet-stream");
    } else if (debug == "1") {
      r.set_content(gi::goroutine_profile_text(s, text), "text/plain; charset=utf-8");
    } else {
      r.set_content(gi::format_dump(s, text), "text/plain; charset=utf-8");
    }
  }

  void leaks(const httplib::Request& q, httplib::Response& r) {
    ProcessEntry en = target(q);
    gi::Snapshot s;
    gi::LeakAnalysis report;
    {
      auto turn = stop_turn(en.snap.pid, true);
      auto start = std::chrono::steady_clock::now();
      s = read(en, true);
      report = gi::find_leaks(s, gi::LeakOptions{});
      if (en.live) record(s, report, seconds_since(start));
    }
    gi::mark_leaked(s, report);
    r.set_content(gi::leaks_to_json(s, report, gi::TextOptions{}) + "\n", "application/json");
  }

  void record(const gi::Snapshot& s, const gi::LeakAnalysis& report, double took) {
    LeakStats st;
    st.proven = report.count(gi::Certainty::kProven);
    st.suspected = report.count(gi::Certainty::kSuspected);
    st.stop_seconds = static_cast<double>(s.stopped_ns) / 1e9;
    st.analysis_seconds = took;
    st.timestamp_seconds = unix_now();
    std::lock_guard<std::mutex> lk(counters_mu_);
    ++counters_.leak_analyses;
    leaks_[s.pid] = st;
  }

  void analyse_all() {
    std::vector<std::string> skipped;
    std::vector<ProcessEntry> all = list_processes(&skipped);
    std::map<int, bool> running;
    for (const ProcessEntry& en : all) {
      if (!en.live) continue;
      running[en.snap.pid] = true;
      {
        std::lock_guard<std::mutex> lk(loop_mu_);
        if (stopping_) return;
      }
      try {
        auto turn = stop_turn(en.snap.pid, false);
        auto start = std::chrono::steady_clock::now();
        gi::Snapshot s = read(en, true);
        gi::LeakAnalysis report = gi::find_leaks(s, gi::LeakOptions{});
        record(s, report, seconds_since(start));
      } catch (const Refusal&) {
        std::lock_guard<std::mutex> lk(counters_mu_);
        ++counters_.leak_analysis_errors;
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lk(counters_mu_);
        ++counters_.leak_analysis_errors;
        if (warned_.insert(en.snap.pid).second) {
          std::fprintf(stderr, "gleak agent: leak analysis of pid %d failed: %s\n", en.snap.pid, e.what());
        }
      }
    }
    // Forget the processes that are gone.
    std::lock_guard<std::mutex> lk(counters_mu_);
    std::erase_if(leaks_, [&](const auto& kv) { return !running.count(kv.first); });
  }

  const AgentOptions opt_;
  const std::string token_;
  std::atomic<std::size_t> in_flight_{0};
  std::timed_mutex stop_mu_;  // one process stopped at a time
  std::map<int, std::chrono::steady_clock::time_point> last_stop_;  // under stop_mu_
  std::mutex scrape_mu_;
  ArenaCache arenas_;  // under scrape_mu_: the arenas /metrics read, kept mapped
  std::mutex counters_mu_;
  AgentCounters counters_;
  std::map<int, LeakStats> leaks_;
  std::set<int> warned_;
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
};

// read_token() is the token in path, without the line end around it; throws a message.
std::string read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the token file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(t.begin());
  if (t.empty()) throw std::runtime_error("the token file " + path + " is empty");
  if (t.find_first_of(" \t\r\n") != std::string::npos) throw std::runtime_error("the token in " + path + " has spaces in it");
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    std::fprintf(stderr, "gleak agent: warning: %s can be read by other users; chmod 600 it\n", path.c_str());
  }
  return t;
}

struct Address {
  std::string host;  // or the socket's path
  int port = 0;
  bool unix_socket = false;
};

std::optional<Address> parse_listen(const std::string& text) {
  Address a;
  if (text.rfind("unix:", 0) == 0) {
    a.host = text.substr(5);
    a.unix_socket = true;
    return a.host.empty() ? std::nullopt : std::optional<Address>(a);
  }
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string port = text.substr(colon + 1);
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty() || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  a.port = std::stoi(port);
  if (a.port > 65535) return std::nullopt;
  return a;
}

}  // namespace

namespace {

// block_stop_signals() blocks SIGINT and SIGTERM in this thread and in every thread it
// starts later (the server's included): one thread waits for them (serve()).
sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that goes away is the server's error, not ours
  return stop_signals;
}

void configure(httplib::Server& svr, const AgentOptions& opt) {
  std::size_t threads = std::max<std::size_t>(opt.max_requests + 2, 4);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  auto timeout = std::chrono::nanoseconds(opt.timeout_ns);
  svr.set_read_timeout(timeout);
  svr.set_write_timeout(timeout);
  svr.set_keep_alive_max_count(100);
  svr.set_keep_alive_timeout(5);
  svr.set_payload_max_length(4096);  // it takes no request bodies
}

// bind_server() binds the server to the address; the port it got (a TCP port 0 picks one),
// or -1.
int bind_server(httplib::Server& svr, const Address& addr) {
  if (addr.unix_socket) {
    svr.set_address_family(AF_UNIX);
    unlink(addr.host.c_str());  // a socket left by an agent before
    // Only the agent's user may connect: the socket is made 0600, not chmod-ed after.
    mode_t old = umask(0177);
    bool bound = svr.bind_to_port(addr.host, 80);
    umask(old);
    return bound ? 0 : -1;
  }
  if (addr.port == 0) {
    int port = svr.bind_to_any_port(addr.host);
    return port > 0 ? port : -1;
  }
  return svr.bind_to_port(addr.host, addr.port) ? addr.port : -1;
}

void announce(const AgentOptions& opt, const Address& addr, int port, bool has_token) {
  if (addr.unix_socket) {
    std::printf("gleak agent: listening on unix:%s\n", addr.host.c_str());
  } else {
    bool v6 = addr.host.find(':') != std::string::npos;
    std::printf("gleak agent: listening on http://%s%s%s:%d\n", v6 ? "[" : "", addr.host.c_str(), v6 ? "]" : "", port);
  }
  std::fflush(stdout);
  if (geteuid() == 0 && !addr.unix_socket && !has_token) {
    std::fprintf(stderr,
                 "gleak agent: warning: running as root without --token-file, it serves every user's processes to "
                 "anyone who can connect to %s; give it a token, or listen on a unix socket\n",
                 opt.listen.c_str());
  }
}

// serve() runs the server (and the periodic leak analysis) until a stop signal, or
// until the server ends on its own (false).
bool serve(httplib::Server& svr, Agent& agent, const AgentOptions& opt, const sigset_t& stop_signals) {
  std::thread leaks;
  if (opt.leaks_every_ns > 0) leaks = std::thread([&] { agent.leak_loop(); });
  std::atomic<bool> signalled{false}, served{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    signalled = true;
    agent.stop();
    // A signal that comes before the server listens finds nothing to stop yet: wait
    // until it does (or has given up), then stop it once.
    while (!served && !svr.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!served) svr.stop();
  });
  bool ok = svr.listen_after_bind();
  served = true;
  agent.stop();
  if (leaks.joinable()) leaks.join();
  // The waiter ends with a signal; if the server ended on its own, it gets one.
  if (!signalled) {
    ok = false;
    pthread_kill(waiter.native_handle(), SIGTERM);
  }
  waiter.join();
  return ok;
}

}  // namespace

int run_agent(const AgentOptions& opt) {
  std::optional<Address> addr = parse_listen(opt.listen);
  if (!addr) {
    std::fprintf(stderr, "gleak agent: --listen %s: want host:port (127.0.0.1:9464) or unix:/path\n", opt.listen.c_str());
    return 2;
  }
  std::string token;
  if (!opt.token_file.empty()) {
    try {
      token = read_token(opt.token_file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gleak agent: %s\n", e.what());
      return 2;
    }
  }
  sigset_t stop_signals = block_stop_signals();
  Agent agent(opt, token);
  httplib::Server svr;
  configure(svr, opt);
  agent.install(svr);
  int port = bind_server(svr, *addr);
  if (port < 0) {
    std::fprintf(stderr, "gleak agent: cannot listen on %s: %s\n", opt.listen.c_str(), std::strerror(errno));
    return 7;
  }
  announce(opt, *addr, port, !token.empty());
  bool ok = serve(svr, agent, opt, stop_signals);
  if (addr->unix_socket) unlink(addr->host.c_str());
  std::fprintf(stderr, "gleak agent: stopped\n");
  return ok ? 0 : 7;
}

}  // namespace gleak::cli
