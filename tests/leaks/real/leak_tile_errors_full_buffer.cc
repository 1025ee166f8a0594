// Port of GSKY's tile pipeline (nci/gsky#227): the tile stage's gRPC goroutines send their
// errors on a channel with a fixed buffer, the stage waits for them (WaitGroup) before
// closing its output, and the merger ranges over that output. On a timeout the handler
// cancels and returns without draining the errors: the senders beyond the buffer block,
// the stage waits for them for ever and the merger waits for the stage's output.
// gleak-expect: leaked 3 * chan send
// gleak-expect: leaked 1 tile_grpc sync.WaitGroup.Wait
// gleak-expect: leaked 1 tile_merger chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Granule {
  std::string path;
  int band = 0;
};

struct Tile {
  int pixels = 0;
};

void tile_grpc(gleak::Context ctx, std::vector<Granule> granules, gleak::Chan<Tile> out,
               gleak::Chan<std::string> err_chan) {
  gleak::WaitGroup wg;
  for (const Granule& g : granules) {
    wg.add(1);
    gleak::go([&wg, ctx, out, err_chan, g] {
      // The gRPC call to the worker node, bounded by the request's context.
      bool cancelled = false;
      gleak::select(gleak::recv_case(ctx.done(), [&](std::optional<gleak::Unit>) { cancelled = true; }),
                    gleak::recv_case(gleak::after(2s), [](std::optional<gleak::TimePoint>) {}));
      if (cancelled) {
        err_chan.send("rpc " + g.path + ": " + ctx.err().message());  // BUG: blocks once the buffer is full
      } else {
        out.send(Tile{g.band * 256});
      }
      wg.done();
    });
  }
  wg.wait();
  out.close();
}

void tile_merger(gleak::Chan<Tile> in, gleak::Chan<Tile> merged) {
  Tile sum;
  for (const Tile& t : in) sum.pixels += t.pixels;
  merged.send(sum);
}

}  // namespace

int main() {
  return gleak::run([] {
    {
      // serveWCS: one GetCoverage request with a short deadline.
      auto [ctx, cancel] = gleak::with_cancel(gleak::background());
      gleak::Chan<std::string> err_chan(2);  // the original had room for 100 errors
      gleak::Chan<Tile> tiles(0), merged(0);
      std::vector<Granule> granules;
      for (int b = 0; b < 5; ++b) granules.push_back({"/g/data/landsat/LC08_" + std::to_string(b) + ".nc", b});
      gleak::go(tile_grpc, ctx, granules, tiles, err_chan);
      gleak::go(tile_merger, tiles, merged);
      gleak::select(
          gleak::recv_case(merged, [](std::optional<Tile>) {}),
          gleak::recv_case(err_chan, [](std::optional<std::string> e) { std::printf("%s\n", e.value_or("").c_str()); }),
          gleak::recv_case(gleak::after(30ms),
                           [](std::optional<gleak::TimePoint>) { std::printf("GetCoverage: request timed out\n"); }));
      cancel();
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The OWS server keeps answering GetCapabilities from memory.
    long bytes = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      bytes += 4096 + tick % 17;
      if (tick % 1000 == 999) std::printf("served %ld bytes\n", bytes);
    }
  });
}
