// gleak/testing.h — zero-leak assertions for GoogleTest (target gleak::testing).
//
//   TEST(Server, ShutsDownCleanly) {
//     Server s;
//     s.start();
//     s.stop();
//     EXPECT_TRUE(gleak::testing::verify_none());
//   }
//
// or, for every test of a binary, the listener (link gleak::testing_main instead of
// GTest::gtest_main, or call install() before RUN_ALL_TESTS()).
//
// Which goroutines are "this test's": the runtime gives every goroutine a group,
// inherited from the goroutine or plain thread that called go() (gleak/detail/group.h).
// The listener gives each test's thread a fresh group when the test starts, so a test
// owns the goroutines its code started, directly or through the goroutines those
// started, whatever worker runs them. A goroutine that a test leaves running is never
// blamed on a later test, and tests that run at the same time on different threads
// (each inside a Scope) are checked apart. Not covered: goroutines started from a
// std::thread the test creates (a thread inherits nothing: give it a Scope of its own,
// or start goroutines from the test's thread), and goroutines started on the test's
// behalf by one that existed before it (a server's accept loop): they belong to
// whoever started that one.
//
// A goroutine counts while it exists, blocked or not, as goleak counts it. Before
// failing, the check retries with capped exponential backoff (max_retries, max_wait),
// so goroutines that are just finishing do not fail a test. The failure message is the
// dump of the goroutines left, Go style, with their creation sites, followed by the
// leak proof of those that can never finish (by default from gleak::find_leaks(), the
// leak analysis run on this process; see set_leak_proof_hook()). docs/testing.md says
// more.
//
// Options are types; each function accepts only those that mean something to it, and
// passing another one does not compile:
//
//                          verify_none  install  ignore_in_this_test  register_default_ignores
//   ignore_top_function        yes        yes          yes                  yes
//   ignore_any_function        yes        yes          yes                  yes
//   ignore_created_by          yes        yes          yes                  yes
//   ignore_current             yes        no           no                   no
//   max_retries, max_wait      yes        yes          yes                  no
//
// A function name matches when it equals the demangled name or the name without its
// parameter list: "worker" matches "worker(int)", "ns::Pool::loop" matches
// "ns::Pool::loop() const".
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace gleak::testing {

// IgnoreTopFunction ignores goroutines whose innermost own frame (the first a dump
// shows: gleak's runtime frames are skipped) is in `function`.
struct IgnoreTopFunction {
  std::string function;
};
// IgnoreAnyFunction ignores goroutines with `function` anywhere on their stack, or as
// the function that created them.
struct IgnoreAnyFunction {
  std::string function;
};
// IgnoreCreatedBy ignores goroutines started by a go() call in `function`.
struct IgnoreCreatedBy {
  std::string function;
};
// IgnoreCurrent ignores the goroutines that existed when it was made.
struct IgnoreCurrent {
  std::vector<uint64_t> ids;
};
// MaxRetries is how many times the check is repeated before it fails (default 20).
struct MaxRetries {
  int count = 20;
};
// MaxWait is the most the check sleeps between its tries in total (default 1 s).
struct MaxWait {
  std::chrono::nanoseconds duration = std::chrono::seconds(1);
};

inline IgnoreTopFunction ignore_top_function(std::string function) { return {std::move(function)}; }
inline IgnoreAnyFunction ignore_any_function(std::string function) { return {std::move(function)}; }
inline IgnoreCreatedBy ignore_created_by(std::string function) { return {std::move(function)}; }
// ignore_current() lists the goroutines that exist now.
IgnoreCurrent ignore_current();
inline MaxRetries max_retries(int count) { return {count}; }
inline MaxWait max_wait(std::chrono::nanoseconds duration) { return {duration}; }

// FilterOption: an option that says which goroutines do not count.
template <class T>
concept FilterOption = std::same_as<std::remove_cvref_t<T>, IgnoreTopFunction> ||
                       std::same_as<std::remove_cvref_t<T>, IgnoreAnyFunction> ||
                       std::same_as<std::remove_cvref_t<T>, IgnoreCreatedBy>;
// RetryOption: an option that tunes the retries.
template <class T>
concept RetryOption = std::same_as<std::remove_cvref_t<T>, MaxRetries> || std::same_as<std::remove_cvref_t<T>, MaxWait>;
// VerifyOption: what verify_none() takes.
template <class T>
concept VerifyOption = FilterOption<T> || RetryOption<T> || std::same_as<std::remove_cvref_t<T>, IgnoreCurrent>;
// ListenerOption: what install() and ignore_in_this_test() take. The listener checks
// only the goroutines each test started, so ignore_current() has no meaning there.
template <class T>
concept ListenerOption = FilterOption<T> || RetryOption<T>;

// Options is the set of options a call was given (normally built by the functions
// below from their arguments).
struct Options {
  std::vector<std::string> top_functions;
  std::vector<std::string> any_functions;
  std::vector<std::string> created_by;
  std::vector<uint64_t> current;
  int max_retries = -1;                    // -1: the default
  std::chrono::nanoseconds max_wait{-1};   // negative: the default

  void add(const IgnoreTopFunction& o) { top_functions.push_back(o.function); }
  void add(const IgnoreAnyFunction& o) { any_functions.push_back(o.function); }
  void add(const IgnoreCreatedBy& o) { created_by.push_back(o.function); }
  void add(const IgnoreCurrent& o) { current.insert(current.end(), o.ids.begin(), o.ids.end()); }
  void add(const MaxRetries& o) { max_retries = o.count; }
  void add(const MaxWait& o) { max_wait = o.duration; }
  // merge() adds o's filters; o's retry settings win where set.
  void merge(const Options& o);
};

// LeakProofHook returns, for goroutines a check found left over, the proof of those
// that are leaked (why they can never finish), or "" when it proves nothing.
using LeakProofHook = std::string (*)(const std::vector<uint64_t>& goroutines);

// set_leak_proof_hook() sets the hook whose text ends every failure message (null:
// none) and returns the previous one. The default runs gleak::find_leaks() and lists
// the goroutines it proves leaked, each with the reason; it costs a run of the gleak
// command, paid only when a check fails.
LeakProofHook set_leak_proof_hook(LeakProofHook hook);

namespace detail {
::testing::AssertionResult verify_group(uint32_t group, const Options& options, const std::string& who);
void install_listener(const Options& options);
void ignore_in_current_test(const Options& options);
void add_default_ignores(const Options& options);
template <class... O>
Options collect(const O&... o) {
  Options opts;
  (opts.add(o), ...);
  return opts;
}
}  // namespace detail

// verify_none() succeeds when no goroutine of the caller's group is left (see the top
// of this file): inside a test run by the listener, the test's goroutines; inside a
// Scope, the scope's; elsewhere, every goroutine. The calling goroutine itself never
// counts. It may be called from a plain thread or from a goroutine.
template <class... O>
  requires(VerifyOption<O> && ...)
::testing::AssertionResult verify_none(const O&... options) {
  return detail::verify_group(0, detail::collect(options...), "");
}

// install() adds the listener that checks after every test, with these options added
// to each check, and fails the test that left goroutines. Call it once, after
// ::testing::InitGoogleTest() and before RUN_ALL_TESTS().
template <class... O>
  requires(ListenerOption<O> && ...)
void install(const O&... options) {
  detail::install_listener(detail::collect(options...));
}

// ignore_in_this_test() adds options to the listener's check of the test now running
// (a test that leaves goroutines blocked on purpose says so with it).
template <class... O>
  requires(ListenerOption<O> && ...)
void ignore_in_this_test(const O&... options) {
  detail::ignore_in_current_test(detail::collect(options...));
}

// register_default_ignores() adds filters to every check in this process, from now
// on: a library calls it for its own background goroutines, so that the tests of its
// users need not know them.
template <class... O>
  requires(FilterOption<O> && ...)
void register_default_ignores(const O&... filters) {
  detail::add_default_ignores(detail::collect(filters...));
}

// Scope gives the calling goroutine or thread a group of its own for its lifetime:
// verify_none() inside it checks only what was started inside it. Tests that run at
// the same time on different threads each use one.
class Scope {
 public:
  Scope();
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  uint32_t group() const { return group_; }

 private:
  uint32_t group_;
  uint32_t previous_;
};

}  // namespace gleak::testing
