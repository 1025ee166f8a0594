// core/deadlock.cc — see core/internal/deadlock.h.
#include "core/internal/deadlock.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "core/internal/crash.h"
#include "core/internal/futex.h"
#include "core/internal/leak_cli.h"
#include "core/internal/sched.h"

namespace gleak::internal {
namespace {

// The runtime must have been idle this long before the (costly) analysis runs: a
// program that only pauses between bursts of work is left alone.
constexpr int64_t kQuietNs = 50'000'000;
// After an analysis that found the main goroutine can still be woken, the next one
// waits at least this long, doubling up to kMaxGapNs: a program that often idles with
// its main goroutine waiting on a plain thread pays for few analyses.
constexpr int64_t kFirstGapNs = 200'000'000;
constexpr int64_t kMaxGapNs = 30'000'000'000;
// A deadlock check that takes longer than this is given up (its child is killed).
constexpr int64_t kAnalysisTimeoutNs = 120'000'000'000;

std::atomic<G*> g_main{nullptr};
std::atomic<uint64_t> g_main_id{0};
std::atomic<uint32_t> g_idle_epoch{0};
std::atomic<bool> g_watching{false};
std::once_flag g_started;
std::string g_cli;
// The runtime's own logger (stderr, level from $GLEAK_LOG: debug, info, warn...), apart
// from the program's default spdlog logger.
std::shared_ptr<spdlog::logger> g_log;

bool disabled_by_env() {
  const char* env = std::getenv("GLEAK_DEADLOCK");
  return env != nullptr && (std::strcmp(env, "0") == 0 || std::strcmp(env, "off") == 0);
}

// check() runs the analysis; it returns only when the main goroutine can still be
// woken (or the analysis could not say).
void check(uint64_t main_id) {
  LeakReport r;
  std::string error;
  int64_t started = now_ns();
  if (!analyse_self(g_cli, 0, kAnalysisTimeoutNs, &r, &error)) {
    g_log->warn("gleak: the deadlock check could not analyse the process: {}", error);
    return;
  }
  // The main goroutine may have been woken while the analysis ran: the proof is of the
  // image it took, so it holds — unless the main goroutine is another one by now.
  if (r.complete && r.proven(main_id) && g_main_id.load(std::memory_order_acquire) == main_id) {
    Death d;
    std::snprintf(d.header, sizeof d.header, "fatal error: all goroutines are asleep - deadlock!");
    die_with_report(d, r.text);
  }
  g_log->debug("gleak: deadlock check: goroutine {} can still be woken ({} ms)", main_id,
                (now_ns() - started) / 1000000);
}

bool quiet_now(G* m) {
  return m->rec.state == GState::kWaiting && runtime_idle();
}

void watch() {
  int64_t gap = 0;
  int64_t last = 0;
  uint32_t seen = 0;
  for (;;) {
    // Wait until nothing has gone idle anew for kQuietNs (something ran in between),
    // and the gap since the last analysis has passed.
    for (;;) {
      seen = g_idle_epoch.load(std::memory_order_acquire);
      int64_t wait = std::max(kQuietNs, last + gap - now_ns());
      futex_wait(&g_idle_epoch, seen, wait);
      if (g_idle_epoch.load(std::memory_order_acquire) == seen) break;
    }
    G* m = g_main.load(std::memory_order_acquire);
    if (m != nullptr && quiet_now(m)) {
      check(g_main_id.load(std::memory_order_acquire));
      last = now_ns();
      gap = std::clamp(2 * gap, kFirstGapNs, kMaxGapNs);
    }
    // Sleep until the runtime goes idle again.
    while (g_idle_epoch.load(std::memory_order_acquire) == seen) futex_wait(&g_idle_epoch, seen);
  }
}

void start_watcher() {
  g_log = spdlog::get("gleak");
  if (!g_log) g_log = spdlog::stderr_logger_mt("gleak");
  g_log->set_level(spdlog::level::warn);
  if (const char* level = std::getenv("GLEAK_LOG")) g_log->set_level(spdlog::level::from_str(level));
#if defined(GLEAK_SANITIZE_BUILD)
  // A sanitizer's shadow memory cannot be copied: no proof could be complete.
  g_log->debug("gleak: no deadlock check in a sanitizer build");
  return;
#endif
  if (disabled_by_env()) return;
  g_cli = leak_cli_path();
  if (g_cli.empty()) {
    // Once per process: a program that would hang for good should not do so silently.
    g_log->warn(
        "gleak: the deadlock check is off: the gleak command was not found (install it, or set GLEAK_CLI to it; "
        "GLEAK_DEADLOCK=0 turns the check off without this warning)");
    return;
  }
  std::thread(watch).detach();
  g_watching.store(true, std::memory_order_release);
}

}  // namespace

void watch_for_deadlock(G* g) {
  std::call_once(g_started, start_watcher);
  g_main_id.store(g->rec.id, std::memory_order_release);
  g_main.store(g, std::memory_order_release);
}

void unwatch_main(G* g) {
  G* expected = g;
  if (g_main.compare_exchange_strong(expected, nullptr)) g_main_id.store(0, std::memory_order_release);
}

void note_all_idle() {
  if (!g_watching.load(std::memory_order_relaxed)) return;
  g_idle_epoch.fetch_add(1, std::memory_order_release);
  futex_wake(&g_idle_epoch);
}

}  // namespace gleak::internal
