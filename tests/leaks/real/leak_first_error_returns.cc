// Port of the pattern fixed in dgraph (dgraph-io/dgraph#3074): a commit fans out one
// goroutine per group, each sending its result on an unbuffered channel, and the
// coordinator returns at the first error without receiving the rest. Here a partition
// makes every group abort: whichever answers first is the error, and the three groups
// that answer after it block for ever on their send.
// gleak-expect: leaked 3 commit_across_groups chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Group {
  int id = 0;
  gleak::Duration latency;
  bool conflict = false;
};

std::string commit_across_groups(const std::vector<Group>& groups, long start_ts) {
  gleak::Chan<std::string> err_ch(0);  // BUG: unbuffered, and the loop may return early
  for (const Group& g : groups) {
    gleak::go([err_ch, g, start_ts] {
      gleak::sleep(g.latency);  // the proposal to the group's leader
      err_ch.send(g.conflict
                      ? "group " + std::to_string(g.id) + ": transaction " + std::to_string(start_ts) + " aborted"
                      : std::string());
    });
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    std::string err = err_ch.recv().value_or("");
    if (!err.empty()) return err;
  }
  return "";
}

}  // namespace

int main() {
  return gleak::run([] {
    long aborted = 0;
    {
      std::vector<Group> groups = {{1, 2ms, true}, {2, 10ms, true}, {3, 40ms, true}, {4, 60ms, true}};
      std::string err = commit_across_groups(groups, 10042);
      if (!err.empty()) {
        std::printf("commit: %s\n", err.c_str());
        ++aborted;
      }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The alpha keeps serving reads from its local store.
    long reads = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      reads += 3 + aborted + tick % 2;
      if (tick % 1000 == 999) std::printf("reads %ld\n", reads);
    }
  });
}
