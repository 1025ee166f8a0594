// Port of Prometheus' LevelDB AppendSamples leak (prometheus/prometheus#213, "400
// goroutines blocked on sending to watermarkErrChan"): AppendSamples indexes metrics and
// refreshes high watermarks in two goroutines that report on unbuffered error channels; it
// returns as soon as indexing fails and never reads watermarkErrChan. Here the caller is
// the ingestion loop of a plain std::thread that keeps running; three batches with an
// invalid label name leak three watermark goroutines.
// gleak-expect: leaked 3 LevelDBPersistence chan send
#include <gleak/gleak.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Sample {
  std::string metric;  // name{label="value"}
  long timestamp = 0;
  double value = 0;
};

using Groups = std::map<uint64_t, std::vector<Sample>>;

class LevelDBPersistence {
 public:
  gleak::Error append_samples(const std::vector<Sample>& samples) {
    Groups groups;
    for (const Sample& s : samples) groups[std::hash<std::string>{}(s.metric)].push_back(s);
    gleak::Chan<gleak::Error> index_err(0);
    gleak::Chan<gleak::Error> watermark_err(0);
    gleak::go([this, groups, index_err] { index_err.send(index_metrics(groups)); });
    gleak::go([this, groups, watermark_err] { watermark_err.send(refresh_high_watermarks(groups)); });
    write_samples(groups);
    std::optional<gleak::Error> err = index_err.recv();
    if (err && *err) return *err;  // BUG: watermark_err is never read
    err = watermark_err.recv();
    if (err && *err) return *err;
    return {};
  }

  std::size_t series() {
    std::lock_guard<gleak::Mutex> g(mu_);
    return index_.size();
  }

 private:
  gleak::Error index_metrics(const Groups& groups) {
    std::lock_guard<gleak::Mutex> g(mu_);
    for (const auto& [fp, ss] : groups) {
      const std::string& m = ss.front().metric;
      if (m.find("{__") != std::string::npos) return gleak::Error("invalid label name in " + m);
      index_.insert(m);
    }
    return {};
  }
  gleak::Error refresh_high_watermarks(const Groups& groups) {
    gleak::sleep(1ms);  // read the old watermarks
    std::lock_guard<gleak::Mutex> g(mu_);
    for (const auto& [fp, ss] : groups) {
      long& w = watermarks_[fp];
      for (const Sample& s : ss) w = std::max(w, s.timestamp);
    }
    return {};
  }
  void write_samples(const Groups& groups) {
    std::lock_guard<gleak::Mutex> g(mu_);
    for (const auto& [fp, ss] : groups) written_ += static_cast<long>(ss.size());
  }

  gleak::Mutex mu_;
  std::set<std::string> index_;
  std::map<uint64_t, long> watermarks_;
  long written_ = 0;
};

std::vector<Sample> scrape(long batch) {
  std::vector<Sample> out;
  for (int i = 0; i < 4; ++i)
    out.push_back(Sample{"http_requests_total{handler=\"/api/v" + std::to_string(i) + "\"}", batch * 15, 1.0 * i});
  if (batch % 2 == 1 && batch < 6) out.push_back(Sample{"up{__bad=\"1\"}", batch * 15, 1});
  return out;
}

}  // namespace

int main() {
  return gleak::run([] {
    auto storage = std::make_shared<LevelDBPersistence>();
    auto failed = std::make_shared<std::atomic<long>>(0);
    // The remote-write receiver runs on a plain thread and appends each batch it gets.
    std::thread([storage, failed] {
      for (long batch = 0;; ++batch) {
        if (gleak::Error err = storage->append_samples(scrape(batch))) {
          std::printf("append batch %ld: %s\n", batch, err.message().c_str());
          ++*failed;
        }
        std::this_thread::sleep_for(10ms);
      }
    }).detach();
    std::printf("ready\n");
    std::fflush(stdout);
    // main serves queries against the storage.
    long answered = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      answered += static_cast<long>(storage->series()) + failed->load();
      if (tick % 1000 == 999) std::printf("answered %ld\n", answered);
    }
  });
}
