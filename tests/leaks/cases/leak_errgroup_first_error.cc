// errgroup-style: fetchers block sending results after the collector returned on the
// first error. crawl() runs four page fetches in an ErrGroup that send their result on an
// unbuffered channel; the backend is down, so every result is an error. The collector
// returns on the first one without draining the rest (and never calls Wait): three
// fetchers block forever on their sends.
// gleak-expect: leaked 3 fetch_page chan send
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

struct Page {
  int n = 0;
  gleak::Error err;
};

gleak::Error fetch_page(int n, gleak::Chan<Page> results, gleak::WaitGroup* reached) {
  Page p{n, gleak::Error("backend unavailable")};
  reached->done();   // test handshake: all but one of these sends never complete
  results.send(p);   // BUG: unbuffered, and the collector stops at the first error
  return gleak::Error();
}

[[gnu::noinline]] gleak::Error crawl(int pages, gleak::WaitGroup* reached) {
  gleak::ErrGroup g;
  gleak::Chan<Page> results(0);
  for (int i = 0; i < pages; ++i) g.go([=] { return fetch_page(i, results, reached); });
  for (int i = 0; i < pages; ++i) {
    Page p = *results.recv();
    if (p.err) return p.err;  // first error: give up
  }
  return g.wait();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(4);
    gleak::Error err = crawl(4, &reached);
    std::printf("crawl: %s\n", err.message().c_str());
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
