// Look-alike of a forgotten mailbox: actor goroutines wait on their mailbox channels,
// which their creator no longer holds, but every mailbox is registered in a global
// directory that main's loop uses to deliver messages.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Directory {
  gleak::Mutex mu;
  std::map<std::string, gleak::Chan<std::string>> mailboxes;
};

Directory& directory() {
  static Directory* d = new Directory();  // lives for the whole process
  return *d;
}

void spawn_actor(const std::string& name) {
  gleak::Chan<std::string> inbox(0);
  {
    std::lock_guard<gleak::Mutex> g(directory().mu);
    directory().mailboxes[name] = inbox;
  }
  gleak::go([inbox, name] {
    long handled = 0;
    for (const std::string& msg : inbox) handled += static_cast<long>(msg.size());
    std::printf("%s handled %ld bytes\n", name.c_str(), handled);
  });
}

}  // namespace

int main() {
  return gleak::run([] {
    for (const char* n : {"billing", "audit", "mailer"}) spawn_actor(n);
    std::printf("ready\n");
    std::fflush(stdout);
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 100 == 99) {  // every 2 s, route a message to one actor
        gleak::Chan<std::string> to;
        {
          std::lock_guard<gleak::Mutex> g(directory().mu);
          auto it = directory().mailboxes.begin();
          std::advance(it, tick / 100 % 3);
          to = it->second;
        }
        to.send("event " + std::to_string(tick));
      }
    }
  });
}
