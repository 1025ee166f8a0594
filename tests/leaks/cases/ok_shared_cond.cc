// Look-alike of moby30408, heap-shared: readers wait on a Mailbox's Cond (std::shared_ptr)
// for mail. The Mailbox is also held by a plain std::thread, which on shutdown locks the
// mutex, posts a last message, marks the box closed and broadcasts (gleak's Mutex and Cond
// work from plain threads). Main holds neither.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "harness.h"

namespace {

struct Mailbox {
  gleak::Mutex mu;
  gleak::Cond cond{mu};
  std::deque<std::string> mail;
  bool closed = false;
};

void read_mail(std::shared_ptr<Mailbox> mb, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  mb->mu.lock();
  reached->done();
  while (mb->mail.empty() && !mb->closed) mb->cond.wait();
  if (!mb->mail.empty()) {
    std::printf("mail: %s\n", mb->mail.front().c_str());
    mb->mail.pop_front();
  }
  mb->mu.unlock();
  all->done();
}

[[gnu::noinline]] std::thread start_mailbox(std::shared_future<void> stop, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  auto mb = std::make_shared<Mailbox>();
  for (int i = 0; i < 2; ++i) gleak::go(read_mail, mb, reached, all);
  return std::thread([mb, stop] {
    stop.wait();
    mb->mu.lock();
    mb->mail.push_back("goodbye");
    mb->closed = true;
    mb->cond.broadcast();
    mb->mu.unlock();
  });
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    std::promise<void> stop;
    gleak::WaitGroup reached, all;
    reached.add(2);
    all.add(2);
    std::thread postman = start_mailbox(stop.get_future().share(), &reached, &all);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    stop.set_value();
    gleak::blocking([&] { postman.join(); });
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
