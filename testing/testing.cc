// testing/testing.cc — see gleak/testing.h and docs/testing.md.
#include "gleak/testing.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>

#include "gleak/detail/group.h"
#include "gleak/leaks.h"
#include "gleak/runtime.h"
#include "gleak/time.h"
#include "inspector/errors.h"
#include "inspector/analyse/leaks.h"
#include "inspector/read/reader.h"
#include "inspector/report/report_text.h"

namespace gleak::testing {
namespace {

namespace gi = gleak::inspector;

constexpr int kDefaultRetries = 20;
constexpr std::chrono::nanoseconds kDefaultWait = std::chrono::seconds(1);
constexpr std::chrono::nanoseconds kFirstSleep = std::chrono::microseconds(100);
constexpr std::chrono::nanoseconds kMaxSleep = std::chrono::milliseconds(100);

// proof_from_find_leaks() is the default LeakProofHook: the runtime's own leak
// analysis of this process (gleak/leaks.h), one line per goroutine it proves leaked.
std::string proof_from_find_leaks(const std::vector<uint64_t>& goroutines) {
  gleak::FindLeaksOptions opt;
  opt.suspect_after = std::chrono::nanoseconds(0);
  gleak::LeakReport report;
  try {
    report = gleak::find_leaks(opt);
  } catch (const gleak::LeakAnalysisError& e) {
    return std::string("(no proof: ") + e.what() + ")";
  }
  std::string out;
  for (const gleak::LeakFinding& f : report.findings) {
    if (f.certainty != gleak::LeakCertainty::kProven) continue;
    if (std::find(goroutines.begin(), goroutines.end(), f.goroutine) == goroutines.end()) continue;
    out += "goroutine " + std::to_string(f.goroutine) + " [" + f.wait_reason + "] can never finish (" + f.check +
           "): " + f.reason + "\n";
  }
  return out;
}

std::atomic<LeakProofHook> g_proof_hook{proof_from_find_leaks};

// The registry of default ignores; built on first use, so that a library may register
// during static initialization.
struct Defaults {
  std::mutex mu;
  Options options;
};
Defaults& defaults() {
  static Defaults* d = new Defaults();  // never destroyed: checks may run during exit
  return *d;
}

Options default_options() {
  std::lock_guard<std::mutex> lk(defaults().mu);
  return defaults().options;
}

// strip_parameters() is a demangled function name without its parameter list and
// the qualifiers after it: "ns::f(int) const" -> "ns::f".
std::string_view strip_parameters(std::string_view fn) {
  for (std::string_view q : {" const", " volatile", " &&", " &", " noexcept"}) {
    while (fn.size() > q.size() && fn.substr(fn.size() - q.size()) == q) fn.remove_suffix(q.size());
  }
  if (fn.empty() || fn.back() != ')') return fn;
  int depth = 0;
  for (std::size_t i = fn.size(); i-- > 0;) {
    if (fn[i] == ')') ++depth;
    if (fn[i] == '(' && --depth == 0) return fn.substr(0, i);
  }
  return fn;
}

bool matches(const std::string& pattern, const std::string& fn) {
  return !fn.empty() && (fn == pattern || strip_parameters(fn) == pattern);
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& fn) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return matches(p, fn); });
}

bool has_filters(const Options& o) {
  return !o.top_functions.empty() || !o.any_functions.empty() || !o.created_by.empty();
}

// ignored() applies the function filters to one goroutine of a symbolized snapshot.
bool ignored(const gi::Goroutine& g, const Options& o) {
  if (!o.top_functions.empty() && matches_any(o.top_functions, gi::innermost_own_function(g))) return true;
  std::string creator = g.created_by ? g.created_by->function : "";
  if (!o.created_by.empty() && matches_any(o.created_by, creator)) return true;
  if (!o.any_functions.empty()) {
    if (matches_any(o.any_functions, creator)) return true;
    for (const gi::Frame& f : g.stack) {
      if (matches_any(o.any_functions, f.function)) return true;
    }
  }
  return false;
}

// on_plain_stack() runs fn where a large stack is certain: reading and symbolizing
// needs more than a goroutine's stack holds, so from a goroutine it runs on one of
// gleak::blocking()'s helper threads, which also frees the worker meanwhile.
template <class F>
void on_plain_stack(F&& fn) {
  if (gleak::goroutine_id() != 0) {
    gleak::blocking(fn);
  } else {
    fn();
  }
}

// ReaderThread reads this process for the checks. The leak proof scans the process
// conservatively, like a garbage collector, and the reader leaves copies of goroutine
// records — with the address of the object each waits on — in the stack slots it
// used. On the caller's stack those stale words could later lie inside live frames
// and hide a leak from the proof; on this thread they stay below the stack pointer of
// its idle wait, where no scan looks.
class ReaderThread {
 public:
  ReaderThread() : thread_([this] { loop(); }) { thread_.detach(); }

  // run() runs job on the reader thread and returns when it is done.
  void run(const std::function<void()>& job) {
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return job_ == nullptr; });  // one caller at a time
    job_ = &job;
    finished_ = false;
    cv_.notify_one();
    done_cv_.wait(lk, [&] { return finished_; });
    job_ = nullptr;
    done_cv_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return job_ != nullptr && !finished_; });
      lk.unlock();
      (*job_)();
      lk.lock();
      finished_ = true;
      done_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void()>* job_ = nullptr;
  bool finished_ = false;
  std::thread thread_;
};

ReaderThread& reader_thread() {
  static ReaderThread* t = new ReaderThread();  // never destroyed: checks may run during exit
  return *t;
}

std::optional<gi::Snapshot> read_this_process(std::string* error) {
  std::optional<gi::Snapshot> snap;
  on_plain_stack([&] {
    reader_thread().run([&] {
      gi::ReadOptions ro;
      ro.events = false;
      ro.objects = false;
      try {
        snap = gi::read_self(ro);
      } catch (const std::exception& e) {
        *error = e.what();
      }
      // Nothing here needs the addresses goroutines wait on, and a copy of one kept
      // (or left in a freed block) would count as a reference in the leak proof.
      if (snap) {
        for (gi::Goroutine& g : snap->goroutines) g.wait_object = g.closure = g.stack_lo = g.stack_hi = 0;
      }
    });
  });
  return snap;
}

void pause(std::chrono::nanoseconds d) {
  if (gleak::goroutine_id() != 0) {
    gleak::sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

struct Check {
  uint32_t group = 0;  // 0: every goroutine
  uint64_t self = 0;   // the calling goroutine
  const Options* options = nullptr;

  bool counts(uint64_t id) const {
    return id != self && std::find(options->current.begin(), options->current.end(), id) == options->current.end();
  }

  // candidates() is the cheap first look: ids of goroutines that may be left.
  std::vector<uint64_t> candidates() const {
    std::vector<uint64_t> ids;
    for (const gleak::detail::GoroutineBrief& b : gleak::detail::live_goroutines(group)) {
      if (counts(b.id)) ids.push_back(b.id);
    }
    return ids;
  }

  // left() is the goroutines of the snapshot that count and are not filtered out.
  std::vector<const gi::Goroutine*> left(const gi::Snapshot& s) const {
    std::vector<const gi::Goroutine*> out;
    for (const gi::Goroutine& g : s.goroutines) {
      if (group != 0 && g.group != group) continue;
      if (!counts(g.id) || ignored(g, *options)) continue;
      out.push_back(&g);
    }
    return out;
  }
};

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string failure_message(const std::string& who, const gi::Snapshot* snap, const std::vector<const gi::Goroutine*>& left,
                            const std::vector<uint64_t>& ids, int tries, std::chrono::nanoseconds waited,
                            const std::string& read_error) {
  std::size_t n = snap ? left.size() : ids.size();
  std::string out = "gleak: " + plural(n, "goroutine", "goroutines") + " started by " + (who.empty() ? "this test" : who) +
                    (n == 1 ? " is" : " are") + " still alive (checked " + plural(static_cast<std::size_t>(tries), "time", "times") +
                    " over " + gi::format_duration(waited.count()) + "):\n\n";
  if (snap) {
    gi::Snapshot only = *snap;
    only.goroutines.clear();
    only.crash.reset();
    for (const gi::Goroutine* g : left) only.goroutines.push_back(*g);
    gi::TextOptions text;
    text.exact = true;
    out += gi::format_dump(only, text);
  } else {
    for (uint64_t id : ids) out += "goroutine " + std::to_string(id) + "\n";
    out += "(no stacks: " + read_error + ")\n";
  }
  if (LeakProofHook hook = g_proof_hook.load()) {
    std::vector<uint64_t> which;
    if (snap) {
      for (const gi::Goroutine* g : left) which.push_back(g->id);
    } else {
      which = ids;
    }
    std::string proof;
    on_plain_stack([&] { proof = hook(which); });
    if (!proof.empty()) out += "\nleak proof:\n" + proof + (proof.back() == '\n' ? "" : "\n");
  }
  return out;
}

// The listener's state: the group of the test that runs, and what it added.
struct ListenerState {
  std::mutex mu;
  Options per_test;
};
ListenerState& listener_state() {
  static ListenerState* s = new ListenerState();
  return *s;
}

class Listener : public ::testing::EmptyTestEventListener {
 public:
  explicit Listener(Options options) : options_(std::move(options)) {}

  void OnTestStart(const ::testing::TestInfo&) override {
    {
      std::lock_guard<std::mutex> lk(listener_state().mu);
      listener_state().per_test = Options{};
    }
    group_ = gleak::detail::new_group();
    previous_ = gleak::detail::set_current_group(group_);
  }

  // Runs before the result printer's OnTestEnd (end events go to listeners in reverse
  // order), so a failure added here is reported as the test's own.
  void OnTestEnd(const ::testing::TestInfo& info) override {
    gleak::detail::set_current_group(previous_);
    Options o = options_;
    {
      std::lock_guard<std::mutex> lk(listener_state().mu);
      o.merge(listener_state().per_test);
    }
    std::string who = std::string(info.test_suite_name()) + "." + info.name();
    ::testing::AssertionResult r = detail::verify_group(group_, o, who);
    // Located at the test's definition: the test is what failed, not this listener.
    if (!r) ADD_FAILURE_AT(info.file(), info.line()) << r.message();
    group_ = 0;
  }

 private:
  Options options_;
  uint32_t group_ = 0;
  uint32_t previous_ = 0;
};

}  // namespace

void Options::merge(const Options& o) {
  top_functions.insert(top_functions.end(), o.top_functions.begin(), o.top_functions.end());
  any_functions.insert(any_functions.end(), o.any_functions.begin(), o.any_functions.end());
  created_by.insert(created_by.end(), o.created_by.begin(), o.created_by.end());
  current.insert(current.end(), o.current.begin(), o.current.end());
  if (o.max_retries >= 0) max_retries = o.max_retries;
  if (o.max_wait.count() >= 0) max_wait = o.max_wait;
}

IgnoreCurrent ignore_current() {
  IgnoreCurrent c;
  for (const gleak::detail::GoroutineBrief& b : gleak::detail::live_goroutines()) c.ids.push_back(b.id);
  return c;
}

LeakProofHook set_leak_proof_hook(LeakProofHook hook) { return g_proof_hook.exchange(hook); }

Scope::Scope() : group_(gleak::detail::new_group()), previous_(gleak::detail::set_current_group(group_)) {}

Scope::~Scope() { gleak::detail::set_current_group(previous_); }

namespace detail {

::testing::AssertionResult verify_group(uint32_t group, const Options& given, const std::string& who) {
  Options o = default_options();
  o.merge(given);
  Check check;
  check.group = group != 0 ? group : gleak::detail::current_group();
  check.self = gleak::goroutine_id();
  check.options = &o;
  const int retries = o.max_retries >= 0 ? o.max_retries : kDefaultRetries;
  const std::chrono::nanoseconds budget = o.max_wait.count() >= 0 ? o.max_wait : kDefaultWait;
  const bool filters = has_filters(o);

  std::chrono::nanoseconds slept{0};
  std::chrono::nanoseconds next = kFirstSleep;
  std::vector<uint64_t> ids;
  std::optional<gi::Snapshot> snap;
  std::string read_error;
  std::vector<const gi::Goroutine*> left;
  int tries = 0;
  for (;;) {
    ++tries;
    ids = check.candidates();
    if (ids.empty()) return ::testing::AssertionSuccess();
    bool last = tries > retries || slept >= budget;
    // Stacks are read only when filters need them, or to report.
    if (filters || last) {
      read_error.clear();
      snap = read_this_process(&read_error);
      if (snap) {
        left = check.left(*snap);
        if (left.empty()) return ::testing::AssertionSuccess();
      }
    }
    if (last) break;
    std::chrono::nanoseconds d = std::min({next, kMaxSleep, budget - slept});
    pause(d);
    slept += d;
    next *= 2;
  }
  return ::testing::AssertionFailure() << failure_message(who, snap ? &*snap : nullptr, left, ids, tries, slept, read_error);
}

void install_listener(const Options& options) {
  ::testing::UnitTest::GetInstance()->listeners().Append(new Listener(options));
}

void ignore_in_current_test(const Options& options) {
  std::lock_guard<std::mutex> lk(listener_state().mu);
  listener_state().per_test.merge(options);
}

void add_default_ignores(const Options& options) {
  std::lock_guard<std::mutex> lk(defaults().mu);
  defaults().options.merge(options);
}

}  // namespace detail
}  // namespace gleak::testing
