// Port of kubeadm's KubeWaiter.WaitForKubeletAndFunc (kubernetes/kubernetes#85017): one
// goroutine sends the kubelet health check's error and another sends f()'s result on the
// same unbuffered channel, and the caller receives only once. When the kubelet check fails
// first, the caller returns its error and the goroutine running f blocks for ever on
// `errC <- f()` (the fix gave the channel a buffer of 1).
// gleak-expect: leaked 1 KubeWaiter chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct KubeWaiter {
  gleak::Duration kubelet_timeout;

  // wait_for_healthy_kubelet polls the kubelet's healthz; "" means healthy.
  std::string wait_for_healthy_kubelet() const {
    gleak::sleep(kubelet_timeout);
    return "the kubelet is not healthy after " + std::to_string(kubelet_timeout.count() / 1000000) + "ms";
  }

  std::string wait_for_kubelet_and_func(std::function<std::string()> f) const {
    gleak::Chan<std::string> err_c(0);  // BUG: two senders, one receive
    KubeWaiter w = *this;
    gleak::go([err_c, w] {
      std::string err = w.wait_for_healthy_kubelet();
      if (!err.empty()) err_c.send(err);
    });
    gleak::go([err_c, f] { err_c.send(f()); });
    return err_c.recv().value_or("");
  }
};

// wait_for_api stands for polling the API server's /healthz until it answers.
std::string wait_for_api(int* polls) {
  for (int i = 0; i < 4; ++i) {
    gleak::sleep(25ms);
    ++*polls;
  }
  return "";
}

}  // namespace

int main() {
  return gleak::run([] {
    int polls = 0;
    std::string init_err;
    {
      KubeWaiter waiter{10ms};
      auto counter = std::make_shared<int>(0);
      init_err = waiter.wait_for_kubelet_and_func([counter] { return wait_for_api(counter.get()); });
    }
    std::printf("kubeadm init: %s\n", init_err.empty() ? "ok" : init_err.c_str());
    std::printf("ready\n");
    std::fflush(stdout);
    // The init workflow goes on with its remaining phases (local work only).
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      polls += tick % 2;
      if (tick % 1000 == 999) std::printf("phase ticks %d\n", polls);
    }
  });
}
