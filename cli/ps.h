// cli/ps.h — `gleak ps`: the processes whose arenas the caller may read, and pruning the
// arenas that dead processes left behind. `gleak agent` lists them the same way.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "inspector/snapshot.h"

namespace gleak::cli {

struct PsOptions {
  bool json = false;
  // Remove the arenas of processes that are gone (crashed, killed, or kept at exit),
  // only those last written at least older_than_ns ago.
  bool prune = false;
  int64_t older_than_ns = 0;
};

// ProcessEntry is one arena the caller may read, read without stopping its process:
// its header, goroutine counts (snap.counts) and totals; snap.goroutines stays empty.
struct ProcessEntry {
  std::string dir, name;  // the arena file: dir + "/" + name
  inspector::Snapshot snap;
  uid_t uid = 0;
  int64_t age_ns = 0;  // since the file was last written
  dev_t dev = 0;
  ino_t ino = 0;
  bool live = false;
  std::string state;  // running, crashed, exited, gone
  std::string arena() const { return dir + "/" + name; }
};

// ArenaCache keeps the arenas list_processes() read mapped until the next call, which
// then maps only new ones: mapping and unmapping a large arena costs more than reading
// it. One cache serves one caller at a time.
class ArenaCache {
 public:
  ArenaCache();
  ~ArenaCache();
  ArenaCache(const ArenaCache&) = delete;
  ArenaCache& operator=(const ArenaCache&) = delete;

 private:
  friend std::vector<ProcessEntry> list_processes(std::vector<std::string>*, ArenaCache*);
  struct Files;
  std::unique_ptr<Files> files_;
};

// list_processes() reads every arena the caller may read (as root, every user's), the
// running processes first; what it skips, and why, goes to `skipped` (one sentence
// each), or to stderr when that is null. With a cache, the arenas stay mapped.
std::vector<ProcessEntry> list_processes(std::vector<std::string>* skipped = nullptr, ArenaCache* cache = nullptr);

// process_json() is one entry as `gleak ps --json` lists it (schema gleak.ps).
nlohmann::ordered_json process_json(const ProcessEntry& en);
// processes_json() is the whole `gleak ps --json` document of these entries.
nlohmann::ordered_json processes_json(const std::vector<ProcessEntry>& entries);

// run_ps() lists the caller's processes (as root, every user's) and returns the exit
// status: 0, or 7 when an arena to prune could not be removed.
int run_ps(const PsOptions& opt);

}  // namespace gleak::cli
