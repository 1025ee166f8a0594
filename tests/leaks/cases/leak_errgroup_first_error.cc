// errgroup-style: fetchers block sending results after the collector returned on the
// first error. crawl() runs four page fetches in an ErrGroup that send their result on an
// unbuffered channel; the backend is down, so every result is an error. The collector
// returns on the first one without draining the rest (and never calls Wait): three
// fetchers block forever on their sends.
// gleak-expect: leaked 3 fetch_page chan send
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

namespace {

// ---- harness: print "ready", then wait for SIGTERM/SIGINT (see README.md) -----------
sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}
void announce_ready() {
  std::printf("ready\n");
  std::fflush(stdout);
}
// Goroutine 1 waits in a blocking system call (state `syscall`), not on any gleak object.
void await_stop_signal() {
  gleak::blocking([] {
    sigset_t s = stop_signals();
    int sig = 0;
    sigwait(&s, &sig);
  });
}

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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(4);
    gleak::Error err = crawl(4, &reached);
    std::printf("crawl: %s\n", err.message().c_str());
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
