// Worker pool whose dispatcher returns early on error (the pattern of many Go
// "bounded parallelism" loops): Indexer::run starts three workers ranging over `jobs`,
// feeds them, and on the first failed result returns the error without close(jobs).
// The workers finish their current document and wait in `range jobs` for ever.
// gleak-expect: leaked 3 index_worker chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Doc {
  int id = 0;
  std::string body;
};

struct Result {
  int id = 0;
  std::string err;
  std::size_t terms = 0;
};

class Indexer : public std::enable_shared_from_this<Indexer> {
 public:
  explicit Indexer(int workers) : workers_(workers) {}

  // index_worker tokenizes documents until jobs is closed.
  void index_worker(gleak::Chan<Doc> jobs, gleak::Chan<Result> results) {
    for (Doc& d : jobs) {
      gleak::sleep(3ms);  // tokenize, write postings
      Result r{d.id, {}, d.body.size() / 5};
      if (d.body.empty()) r.err = "empty document " + std::to_string(d.id);
      results.send(std::move(r));
    }
  }

  std::string run(const std::vector<Doc>& docs) {
    gleak::Chan<Doc> jobs(0);
    gleak::Chan<Result> results(docs.size());
    for (int i = 0; i < workers_; ++i) gleak::go(&Indexer::index_worker, shared_from_this(), jobs, results);
    std::size_t next = 0, pending = 0;
    while (next < docs.size() || pending > 0) {
      if (next < docs.size()) {
        std::string err;
        gleak::select(gleak::send_case(jobs, docs[next], [&] { ++next, ++pending; }),
                      gleak::recv_case(results, [&](std::optional<Result> r) {
                        --pending;
                        if (r->err.empty()) total_terms_ += r->terms; else err = r->err;
                      }));
        if (!err.empty()) return err;  // BUG: jobs is never closed
      } else {
        std::optional<Result> r = results.recv();
        --pending;
        if (!r->err.empty()) return r->err;
        total_terms_ += r->terms;
      }
    }
    jobs.close();
    return {};
  }

  std::size_t total_terms() const { return total_terms_; }

 private:
  int workers_;
  std::size_t total_terms_ = 0;
};

}  // namespace

int main() {
  return gleak::run([] {
    std::size_t indexed = 0;
    {
      auto ix = std::make_shared<Indexer>(3);
      std::vector<Doc> docs;
      for (int i = 0; i < 12; ++i) docs.push_back({i, i == 4 ? "" : std::string(40 + i, 'w')});
      std::string err = ix->run(docs);
      if (!err.empty()) std::printf("reindex failed: %s\n", err.c_str());
      indexed = ix->total_terms();
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long queries = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      queries += static_cast<long>(indexed % 7) + tick % 3;
      if (tick % 1000 == 999) std::printf("queries %ld\n", queries);
    }
  });
}
