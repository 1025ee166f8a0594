// A batch converter bounds concurrency with a buffered channel used as a semaphore
// (`sem <- struct{}{}` to acquire, `<-sem` to release). The error path of
// convert_image returns without releasing its slot; after two failures the semaphore is
// full and the remaining four conversions block acquiring it. The batch that owned the
// semaphore has long been dropped by its caller.
// gleak-expect: leaked 4 convert_image chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Job {
  std::string src;
  int width = 0;
};

struct Thumbs {
  gleak::Mutex mu;
  std::vector<std::string> done;
  std::vector<std::string> failed;
};

void convert_image(Job job, gleak::Chan<gleak::Unit> sem, std::shared_ptr<Thumbs> out) {
  sem.send({});  // acquire
  gleak::sleep(2ms);  // decode + resize
  if (job.src.ends_with(".heic")) {
    std::lock_guard<gleak::Mutex> g(out->mu);
    out->failed.push_back(job.src);
    return;  // BUG: the slot is never released
  }
  {
    std::lock_guard<gleak::Mutex> g(out->mu);
    out->done.push_back(job.src + "@" + std::to_string(job.width));
  }
  sem.recv();  // release
}

}  // namespace

int main() {
  return gleak::run([] {
    auto thumbs = std::make_shared<Thumbs>();
    {
      std::vector<Job> batch = {{"b.heic", 320}, {"c.heic", 320}, {"a.jpg", 320}, {"d.jpg", 320},
                                {"e.jpg", 320}, {"f.png", 320}};
      gleak::Chan<gleak::Unit> sem(2);
      // The first two start now and take both slots; the rest arrive later.
      for (std::size_t i = 0; i < 2; ++i) gleak::go(convert_image, batch[i], sem, thumbs);
      gleak::sleep(10ms);  // the upload form streams the rest of the batch
      for (std::size_t i = 2; i < batch.size(); ++i) gleak::go(convert_image, batch[i], sem, thumbs);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      std::lock_guard<gleak::Mutex> g(thumbs->mu);
      if (tick % 1000 == 999) std::printf("thumbs %zu failed %zu\n", thumbs->done.size(), thumbs->failed.size());
    }
  });
}
