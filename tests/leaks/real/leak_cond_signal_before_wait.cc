// Port of supervisord's startProgram (ochinchina/supervisord#223): it locks a fresh
// Cond's mutex, starts the program with a callback that calls cond.Signal() without taking
// the mutex, then calls cond.Wait(). When the process goroutine reports "running" before
// the starter reaches Wait (here: while it writes the program's log header), the signal
// is lost and the starter waits for ever. The process goroutine drops the callback.
// gleak-expect: leaked 1 start_program sync.Cond.Wait
#include <gleak/gleak.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Process {
  std::string name;
  std::function<void()> on_running;
  int restarts = 0;

  // start launches the program and supervises it; on_running is called once it runs.
  static void start(std::shared_ptr<Process> p, std::function<void()> on_running) {
    p->on_running = std::move(on_running);
    gleak::go([p] {
      // fork/exec done: report "running" once, then supervise.
      std::exchange(p->on_running, nullptr)();
      for (;;) {
        gleak::sleep(50ms);  // poll the child's state
        ++p->restarts;
      }
    });
  }
};

void start_program(std::shared_ptr<Process> p) {
  gleak::Mutex mu;
  gleak::Cond cond(mu);
  std::lock_guard<gleak::Mutex> g(mu);
  Process::start(p, [&cond] { cond.signal(); });  // BUG: signals without holding mu
  // Write the program's log header before waiting (a file write).
  gleak::blocking([] { usleep(20000); });
  cond.wait();
  std::printf("%s started\n", p->name.c_str());
}

}  // namespace

int main() {
  return gleak::run([] {
    {
      auto p = std::make_shared<Process>();
      p->name = "web";
      gleak::go(start_program, p);  // the XML-RPC startProcess request
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // supervisord goes on with its event loop.
    long events = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      events += tick % 3;
      if (tick % 1000 == 999) std::printf("events %ld\n", events);
    }
  });
}
