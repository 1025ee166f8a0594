// Read lock kept on an error path: Registry::lookup returns early for an unknown plugin
// without RUnlock. The plugin watcher's register() then waits for the write lock for ever,
// and the health checker's next lookup queues behind that writer. The registry belongs to
// the plugin subsystem's goroutines; main started them and kept nothing.
// gleak-expect: leaked 1 Registry sync.RWMutex.Lock
// gleak-expect: leaked 1 Registry sync.RWMutex.RLock
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Registry {
  gleak::RWMutex mu;
  std::map<std::string, int> plugins;

  // lookup returns the plugin's version, or -1 with err set.
  int lookup(const std::string& name, std::string* err) {
    mu.lock_shared();
    auto it = plugins.find(name);
    if (it == plugins.end()) {
      *err = "plugin " + name + " not found";
      return -1;  // BUG: no mu.unlock_shared()
    }
    int v = it->second;
    mu.unlock_shared();
    return v;
  }
  void register_plugin(const std::string& name, int version) {
    mu.lock();
    plugins[name] = version;
    mu.unlock();
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    {
      auto reg = std::make_shared<Registry>();
      reg->register_plugin("csi-nfs", 3);
      // A driver resolving its dependencies (one of them is missing).
      gleak::go([reg] {
        std::string err;
        for (const char* dep : {"csi-nfs", "csi-smb"}) {
          if (reg->lookup(dep, &err) < 0) std::printf("resolve: %s\n", err.c_str());
        }
      });
      // The plugin directory watcher registers what appears.
      gleak::go([reg] {
        gleak::sleep(30ms);
        reg->register_plugin("csi-smb", 1);
      });
      // The health checker looks a plugin up every 40 ms.
      gleak::go([reg] {
        std::string err;
        for (;;) {
          gleak::sleep(40ms);
          if (reg->lookup("csi-nfs", &err) != 3) std::printf("health: %s\n", err.c_str());
        }
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The node agent goes on with volume accounting.
    long volumes = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      volumes = (volumes + tick) % 977;
      if (tick % 1000 == 999) std::printf("volumes %ld\n", volumes);
    }
  });
}
