// Look-alike of range-over-unclosed-channel: index_documents() ranges over `docs` and
// nothing is being sent. Its feeder is alive, parked in a timer loop, and will send the
// last documents and close the channel when it stops. Only the two hold the channel.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include "harness.h"

namespace {

void index_documents(gleak::Chan<std::string> docs, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  for (std::string& d : docs) std::printf("indexed %s\n", d.c_str());
  all->done();
}

void feed_documents(gleak::Chan<std::string> docs, std::atomic<bool>* stop, gleak::WaitGroup* all) {
  while (!stop->load()) gleak::sleep(std::chrono::milliseconds(10));
  docs.send("a.txt");
  docs.send("b.txt");
  docs.close();
  all->done();
}

[[gnu::noinline]] void start_indexer(std::atomic<bool>* stop, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  gleak::Chan<std::string> docs(0);
  gleak::go(index_documents, docs, started, all);
  gleak::go(feed_documents, docs, stop, all);
}

}  // namespace

int main() {
  return leak_case::run_until_stopped(1, 2, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    start_indexer(stop, ready, all);
  });
}
