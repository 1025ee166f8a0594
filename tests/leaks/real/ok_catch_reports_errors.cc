// Look-alike of an abandoned error reporter: the reporter goroutine ranges over the
// errors channel of an ErrorSink that main holds only for its catch handler: the request
// loop reports a failed request there (every 300 ticks, i.e. 6 s, a request throws). On
// the normal path main never touches the sink.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

struct ErrorSink {
  gleak::Chan<std::string> errors{0};
  long reported = 0;
};

std::shared_ptr<ErrorSink> start_error_reporter() {
  auto sink = std::make_shared<ErrorSink>();
  gleak::go([errors = sink->errors] {
    for (std::string& e : errors) std::fprintf(stderr, "error: %s\n", e.c_str());  // ship to Sentry
  });
  return sink;
}

long handle_request(int tick) {
  if (tick % 300 == 299) throw std::runtime_error("upstream reset request " + std::to_string(tick));
  return tick % 7;
}

}  // namespace

int main() {
  return gleak::run([] {
    std::shared_ptr<ErrorSink> sink = start_error_reporter();
    std::printf("ready\n");
    std::fflush(stdout);
    long served = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      try {
        served += handle_request(tick);
      } catch (const std::exception& e) {
        sink->errors.send(e.what());
        ++sink->reported;
      }
    }
  });
}
