// moby17176 — an early error return keeps the mutex, so every later Lock hangs.
// deactivate_device() locks the device manager (std::shared_ptr, shared by three
// goroutines) and returns on its "unknown device" path without unlocking. The goroutine
// that called it goes on and exits; the cleanup and listing goroutines wait for the
// mutex forever, and they hold the last references to the manager.
// gleak-expect: leaked 1 cleanup_devices sync.Mutex.Lock
// gleak-expect: leaked 1 list_devices sync.Mutex.Lock
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "harness.h"

namespace {

struct DeviceManager {
  gleak::Mutex devices_mu;
  std::map<int, std::string> devices{{1, "sda"}, {2, "sdb"}};
};

gleak::Error deactivate_device(DeviceManager* m, int id) {
  m->devices_mu.lock();
  auto it = m->devices.find(id);
  if (it == m->devices.end()) return gleak::Error("unknown device");  // BUG: still locked
  m->devices.erase(it);
  m->devices_mu.unlock();
  return gleak::Error();
}

void remove_device(std::shared_ptr<DeviceManager> m, int id, gleak::WaitGroup* finished) {
  if (gleak::Error err = deactivate_device(m.get(), id)) std::printf("remove %d: %s\n", id, err.message().c_str());
  finished->done();
}

void cleanup_devices(std::shared_ptr<DeviceManager> m, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  m->devices_mu.lock();
  m->devices.clear();
  m->devices_mu.unlock();
}

void list_devices(std::shared_ptr<DeviceManager> m, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  m->devices_mu.lock();
  for (auto& [id, name] : m->devices) std::printf("%d %s\n", id, name.c_str());
  m->devices_mu.unlock();
}

[[gnu::noinline]] void start_devices(gleak::WaitGroup* finished, gleak::WaitGroup* reached) {
  auto m = std::make_shared<DeviceManager>();
  finished->add(1);
  gleak::go(remove_device, m, 9, finished);
  finished->wait();  // the remover has returned, leaving devices_mu locked
  gleak::go(cleanup_devices, m, reached);
  gleak::go(list_devices, m, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup finished, reached;
    reached.add(2);
    start_devices(&finished, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
