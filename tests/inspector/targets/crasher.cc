// crasher — dies the way its argument says, for the post-mortem dump tests:
//
//   panic  goroutine 4 (created by goroutine 3, created by goroutine 2, created by
//          main) recovers a panic, then panics for good
//   segv   goroutine 2 writes through a null pointer: the runtime reports it from a
//          signal handler, with addresses only, and leaves the names to gleak dump
#include <gleak/gleak.h>

#include <cstdio>
#include <cstring>

namespace {

using gleak::Chan;
using gleak::Unit;

[[gnu::noinline]] void refuse_order(int id) { gleak::panic("order " + std::to_string(id) + " refused"); }

[[gnu::noinline]] void handle_orders(Chan<Unit> hold) {
  if (auto p = gleak::recover([] { refuse_order(7); })) {  // recover: handle_orders
    refuse_order(8);
  }
  hold.recv();
}

[[gnu::noinline]] void dispatch(Chan<Unit> hold) {
  gleak::go(handle_orders, hold);
  hold.recv();
}

// The pointer is volatile: a store through a known null pointer may be dropped.
int* volatile g_null = nullptr;

[[gnu::noinline]] void write_through_null() { *g_null = 1; }

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (std::strcmp(mode, "panic") != 0 && std::strcmp(mode, "segv") != 0) {
    std::fprintf(stderr, "usage: crasher panic|segv\n");
    return 64;
  }
  return gleak::run([mode] {
    Chan<Unit> hold(0);
    if (std::strcmp(mode, "panic") == 0) {
      gleak::go([hold] {
        gleak::go(dispatch, hold);
        hold.recv();
      });
    } else {
      gleak::go(write_through_null);
    }
    hold.recv();
  });
}
