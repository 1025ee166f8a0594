// Three-stage backup pipeline scan -> compress -> upload, each stage a goroutine
// connected by unbuffered channels and no done channel. The upload stage stops reading
// when the bucket's quota is exceeded and returns; the compressor blocks handing it the
// next chunk, and the scanner blocks handing the compressor the next file.
// gleak-expect: leaked 1 scan_files chan send
// gleak-expect: leaked 1 compress_chunks chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Chunk {
  std::string path;
  std::vector<char> data;
};

void scan_files(std::vector<std::string> roots, gleak::Chan<std::string> out) {
  for (const std::string& r : roots)
    for (int i = 0; i < 20; ++i) out.send(r + "/file" + std::to_string(i));
  out.close();
}

void compress_chunks(gleak::Chan<std::string> in, gleak::Chan<Chunk> out) {
  for (std::string& p : in) {
    Chunk c{p, std::vector<char>(p.size() * 8, 'z')};
    out.send(std::move(c));
  }
  out.close();
}

struct UploadStats {
  std::size_t bytes = 0;
  int objects = 0;
  std::string err;
};

}  // namespace

int main() {
  return gleak::run([] {
    auto stats = std::make_shared<UploadStats>();
    {
      gleak::Chan<std::string> files(0);
      gleak::Chan<Chunk> chunks(0);
      gleak::go(scan_files, std::vector<std::string>{"/var/lib/app", "/etc/app"}, files);
      gleak::go(compress_chunks, files, chunks);
      const std::size_t quota = 1000;
      gleak::go([chunks, stats, quota] {
        for (Chunk& c : chunks) {
          if (stats->bytes + c.data.size() > quota) {
            stats->err = "quota exceeded at " + c.path;
            return;  // BUG: upstream stages are never told to stop
          }
          gleak::sleep(1ms);  // PUT object
          stats->bytes += c.data.size();
          ++stats->objects;
        }
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long status_checks = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      status_checks += stats->objects + tick % 2;
      if (tick % 1000 == 999) std::printf("backup: %s (%ld)\n", stats->err.c_str(), status_checks);
    }
  });
}
