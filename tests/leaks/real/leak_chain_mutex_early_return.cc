// Port of dusk-blockchain's chain.acceptConsensusResults (dusk-network/dusk-blockchain#929):
// the consensus loop takes the chain's mutex for each result and returns early on a
// verification error without unlocking it. Block sync and the status RPC then wait for the
// mutex for ever, and the peer relay blocks handing blocks to the stuck sync loop. The
// node's goroutines are the only owners of the chain; main keeps none.
// gleak-expect: leaked 2 * sync.Mutex.Lock
// gleak-expect: leaked 1 relay_blocks chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Block {
  long height = 0;
  std::string hash;
};

struct Chain {
  gleak::Mutex mu;
  long tip = 0;
  std::vector<Block> blocks;
};

void accept_consensus_results(std::shared_ptr<Chain> chain, gleak::Chan<Block> results) {
  for (Block& b : results) {
    chain->mu.lock();
    if (b.hash.empty()) {
      std::printf("consensus result %ld failed verification\n", b.height);
      return;  // BUG: chain->mu stays locked
    }
    chain->blocks.push_back(b);
    chain->tip = b.height;
    chain->mu.unlock();
  }
}

void sync_blocks(std::shared_ptr<Chain> chain, gleak::Chan<Block> from_peers) {
  for (Block& b : from_peers) {
    std::lock_guard<gleak::Mutex> g(chain->mu);
    if (b.height > chain->tip) chain->tip = b.height;
  }
}

void relay_blocks(gleak::Chan<Block> to_sync) {
  for (long h = 1;; ++h) {
    gleak::sleep(15ms);  // the next block arrives from the network
    to_sync.send(Block{h, "peer"});
  }
}

void serve_status(std::shared_ptr<Chain> chain) {
  for (;;) {
    gleak::sleep(10ms);  // a status request
    std::lock_guard<gleak::Mutex> g(chain->mu);
    if (chain->tip < 0) std::printf("bad tip\n");
  }
}

void consensus(gleak::Chan<Block> results) {
  results.send(Block{1, "a41f"});
  results.send(Block{2, ""});  // a result that does not verify
}

}  // namespace

int main() {
  return gleak::run([] {
    {
      auto chain = std::make_shared<Chain>();
      gleak::Chan<Block> results(0), from_peers(0);
      gleak::go(accept_consensus_results, chain, results);
      gleak::go(sync_blocks, chain, from_peers);
      gleak::go(relay_blocks, from_peers);
      gleak::go(serve_status, chain);
      gleak::go(consensus, results);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // main goes on with the node's other duties (mempool bookkeeping).
    long mempool = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      mempool = (mempool + tick * 3) % 4096;
      if (tick % 1000 == 999) std::printf("mempool %ld\n", mempool);
    }
  });
}
