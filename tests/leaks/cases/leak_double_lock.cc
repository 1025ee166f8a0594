// moby7559 — `continue` skips Unlock, so the next iteration's Lock blocks on itself.
// A device scanner locks the DeviceSet (std::shared_ptr, shared with a status reader)
// once per device; for a device it must skip it `continue`s without unlocking, and the
// next iteration's lock() waits for itself. The status reader then waits for the same
// mutex. Nobody else holds the DeviceSet: both goroutines are leaked.
// gleak-expect: leaked 1 scan_devices sync.Mutex.Lock
// gleak-expect: leaked 1 device_status sync.Mutex.Lock
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "harness.h"

namespace {

struct DeviceSet {
  gleak::Mutex mu;
  std::vector<int> active;
};

void scan_devices(std::shared_ptr<DeviceSet> ds, std::vector<int> ids, gleak::WaitGroup* reached) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i + 1 == ids.size()) reached->done();  // test handshake: this lock never returns
    ds->mu.lock();
    if (ids[i] < 0) continue;  // BUG: skips the unlock below
    ds->active.push_back(ids[i]);
    ds->mu.unlock();
  }
}

void device_status(std::shared_ptr<DeviceSet> ds, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  ds->mu.lock();
  std::printf("%zu active devices\n", ds->active.size());
  ds->mu.unlock();
}

[[gnu::noinline]] void start_scan(gleak::WaitGroup* scanning, gleak::WaitGroup* reached) {
  auto ds = std::make_shared<DeviceSet>();
  scanning->add(1);
  gleak::go(scan_devices, ds, std::vector<int>{3, -1, 7}, scanning);
  scanning->wait();  // the scanner holds the mutex from here on
  gleak::go(device_status, ds, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup scanning, reached;
    reached.add(1);
    start_scan(&scanning, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
