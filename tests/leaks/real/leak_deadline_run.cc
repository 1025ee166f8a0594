// Port of go-resiliency's deadline.Run (eapache/go-resiliency#23): Run starts the work
// function in a goroutine that sends its result on an unbuffered channel, and selects on
// that channel and on time.After. When the deadline wins, Run returns ErrTimedOut and
// closes `stopper`, but work that ignores stopper finishes later and blocks for ever on
// `result <- work(stopper)`: nobody receives from `result` any more.
// gleak-expect: leaked 1 Deadline chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

const char* const kTimedOut = "timed out waiting for function to finish";

// Deadline implements the deadline/timeout resiliency pattern.
struct Deadline {
  gleak::Duration timeout;

  std::string run(std::function<std::string(gleak::Chan<gleak::Unit>)> work) const {
    gleak::Chan<std::string> result(0);  // BUG: unbuffered (the fix: capacity 1); "" is no error
    gleak::Chan<gleak::Unit> stopper(0);
    gleak::go([=] { result.send(work(stopper)); });
    std::string ret;
    gleak::select(gleak::recv_case(result, [&](std::optional<std::string> e) { ret = e.value_or(""); }),
                  gleak::recv_case(gleak::after(timeout), [&](std::optional<gleak::TimePoint>) {
                    stopper.close();
                    ret = kTimedOut;
                  }));
    return ret;
  }
};

// fetch_manifest stands for a slow remote call that does not watch the stopper.
std::string fetch_manifest(const std::string& url, int* size) {
  gleak::sleep(60ms);
  *size = static_cast<int>(url.size()) * 100;
  return {};
}

}  // namespace

int main() {
  return gleak::run([] {
    int failures = 0;
    {
      Deadline d{15ms};
      auto size = std::make_shared<int>(0);
      std::string err = d.run([size](gleak::Chan<gleak::Unit>) {
        return fetch_manifest("https://registry.example/v2/app/manifests/latest", size.get());
      });
      if (!err.empty()) {
        std::printf("fetch manifest: %s\n", err.c_str());
        ++failures;
      }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The service goes on: a periodic refresh of its own state.
    long checksum = failures;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      checksum = checksum * 31 + tick;
      if (tick % 500 == 0) std::printf("tick %d checksum %ld\n", tick, checksum);
      if (tick % 500 == 0) std::fflush(stdout);
    }
  });
}
