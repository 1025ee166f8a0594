// core/exit_check.cc — see core/internal/exit_check.h.
//
// At exit the process connects to the gate's Unix socket and blocks reading it; the
// gate, which knows the process by the socket's peer credentials, reads the process
// (stopping it with ptrace, as `gleak leaks` does) and then writes one byte back. If
// the gate is gone, the read returns at once and the process exits as usual: a gate
// that dies never hangs its programs.
#include "core/internal/exit_check.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/internal/probe.h"
#include "core/internal/sched.h"

namespace gleak::internal {
namespace {

// How long exit waits for goroutines that are running or runnable to block or end:
// a goroutine that main's return left just short of its last wait is then seen
// blocked, not running. A goroutine that never blocks delays exit by this much.
constexpr int64_t kSettleNs = 200'000'000;

char g_socket_path[sizeof(sockaddr_un::sun_path)];

bool anything_runs() {
  struct Ctx {
    G* self;
    bool runs;
  } ctx{current_g(), false};
  for_each_g(
      [](G* g, void* arg) {
        auto* c = static_cast<Ctx*>(arg);
        GState s = g->rec.state;
        if (g != c->self && (s == GState::kRunning || s == GState::kRunnable)) c->runs = true;
      },
      &ctx);
  return ctx.runs;
}

void settle() {
  int64_t deadline = now_ns() + kSettleNs;
  while (anything_runs() && now_ns() < deadline) {
    struct timespec ts {0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
}

void gate_at_exit() {
  arena::ArenaHeader* h = arena_header();
  // A child forked without exec runs this handler too; only the process the gate
  // knows by this arena hands itself over.
  if (h->pid != getpid()) return;
  settle();
  h->gate_stage.store(static_cast<uint32_t>(arena::GateStage::kAtExit), std::memory_order_release);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, g_socket_path, sizeof addr.sun_path);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    char done;
    while (read(fd, &done, 1) < 0 && errno == EINTR) {
    }
  }
  close(fd);
}

}  // namespace

void install_gate() {
  const char* path = std::getenv(arena::kGateEnv);
  if (path == nullptr || path[0] == '\0' || std::strlen(path) >= sizeof g_socket_path) return;
  std::memcpy(g_socket_path, path, std::strlen(path) + 1);
  std::atexit(gate_at_exit);
}

}  // namespace gleak::internal
