// Look-alike of a dropped backend: each backend's request loop ranges over its own
// channel, and the only handle on it is inside a std::map in the gateway's pimpl
// (std::unique_ptr<Impl>). The gateway lives in main, which routes a request through
// it every 3 s.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

class Gateway {
 public:
  Gateway();
  ~Gateway();
  void add_backend(const std::string& name);
  void route(const std::string& name, std::string req);
  long served() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct Backend {
  gleak::Chan<std::string> requests{0};
};

struct Gateway::Impl {
  std::map<std::string, std::unique_ptr<Backend>> backends;
  std::shared_ptr<std::atomic<long>> served = std::make_shared<std::atomic<long>>(0);
};

Gateway::Gateway() : impl_(std::make_unique<Impl>()) {}
Gateway::~Gateway() = default;

void Gateway::add_backend(const std::string& name) {
  auto b = std::make_unique<Backend>();
  gleak::go([reqs = b->requests, served = impl_->served] {
    for (std::string& r : reqs) *served += static_cast<long>(r.size());
  });
  impl_->backends[name] = std::move(b);
}

void Gateway::route(const std::string& name, std::string req) {
  auto it = impl_->backends.find(name);
  if (it != impl_->backends.end()) it->second->requests.send(std::move(req));
}

long Gateway::served() const { return impl_->served->load(); }

}  // namespace

int main() {
  return gleak::run([] {
    Gateway gw;
    gw.add_backend("search");
    gw.add_backend("billing");
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 150 == 149) gw.route(tick % 300 == 149 ? "search" : "billing", "GET /v1/" + std::to_string(tick));
      if (tick % 1000 == 999) std::printf("served %ld\n", gw.served());
    }
  });
}
