// Port of kube-aggregator's AvailableConditionController.sync (kubernetes/kubernetes#91160):
// several attempts run in parallel, each resolving an endpoint and running the discovery
// GET in another goroutine that reports on an unbuffered errCh, then selecting on errCh
// and a timeout. An attempt whose GET is slower than the timeout reports "timed out" and
// returns; its GET goroutine then blocks for ever on `errCh <- err` (fix: a buffer of 1).
// gleak-expect: leaked 2 check_api_service chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Endpoint {
  std::string url;
  gleak::Duration latency;  // how long the discovery document takes to come back
};

// discovery_get stands for the HTTP GET of /apis/<group>/<version>; "" is success.
std::string discovery_get(const Endpoint& ep) {
  gleak::sleep(ep.latency);
  return ep.url.find("10.0.3.") != std::string::npos ? "503 Service Unavailable" : "";
}

// check_api_service makes one discovery attempt per endpoint in parallel; one success
// is enough. Returns the last error ("" when an attempt succeeded).
std::string check_api_service(const std::vector<Endpoint>& endpoints) {
  gleak::Chan<std::string> results(endpoints.size());  // one report per attempt
  for (const Endpoint& ep : endpoints) {
    gleak::go([results, ep] {
      gleak::Chan<std::string> err_ch(0);  // BUG: unbuffered
      gleak::go([err_ch, ep] { err_ch.send(discovery_get(ep)); });
      std::string err;
      gleak::select(gleak::recv_case(err_ch, [&](std::optional<std::string> e) { err = e.value_or(""); }),
                    gleak::recv_case(gleak::after(25ms), [&](std::optional<gleak::TimePoint>) {
                      err = "timed out waiting for " + ep.url;
                    }));
      results.send(err);
    });
  }
  std::string last_error;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    last_error = results.recv().value_or("");
    if (last_error.empty()) break;  // at least one success: available
  }
  return last_error;
}

}  // namespace

int main() {
  return gleak::run([] {
    std::string condition;
    {
      std::vector<Endpoint> endpoints = {{"https://10.0.1.7:443/apis/metrics.k8s.io/v1beta1", 2ms},
                                         {"https://10.0.2.9:443/apis/metrics.k8s.io/v1beta1", 150ms},
                                         {"https://10.0.4.2:443/apis/metrics.k8s.io/v1beta1", 200ms}};
      condition = check_api_service(endpoints);
    }
    std::printf("APIService v1beta1.metrics.k8s.io available: %s\n", condition.empty() ? "True" : condition.c_str());
    std::printf("ready\n");
    std::fflush(stdout);
    // The controller goes on with its work queue (other APIServices, all local).
    std::size_t processed = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      processed += condition.size() + static_cast<std::size_t>(tick % 3);
      if (tick % 1000 == 999) std::printf("processed %zu\n", processed);
    }
  });
}
