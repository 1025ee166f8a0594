// cli/ps.cc — see ps.h.
#include "cli/ps.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "arena/clock.h"
#include "inspector/read/arena_file.h"
#include "inspector/errors.h"
#include "inspector/read/reader.h"

namespace gleak::cli {
namespace {

namespace gi = gleak::inspector;

using Entry = ProcessEntry;

// directories() are the arena directories to list: the caller's, and for root every
// user's default one under /dev/shm.
std::vector<std::string> directories() {
  std::vector<std::string> dirs = gi::arena_dirs();
  const char* env = std::getenv("GLEAK_DIR");
  if (geteuid() != 0 || (env != nullptr && env[0] != '\0')) return dirs;
  std::set<std::string> seen(dirs.begin(), dirs.end());
  std::unique_ptr<DIR, int (*)(DIR*)> shm(opendir("/dev/shm"), closedir);
  while (dirent* e = shm ? readdir(shm.get()) : nullptr) {
    std::string name = e->d_name;
    if (name.rfind("gleak-", 0) != 0 || name.find_first_not_of("0123456789", 6) != std::string::npos) continue;
    if (seen.insert("/dev/shm/" + name).second) dirs.push_back("/dev/shm/" + name);
  }
  return dirs;
}

bool arena_name(const std::string& name) {
  // <pid>.arena, or <pid>.<start ticks>.arena: a crashed process's arena moved aside
  // by a later process that got the same pid.
  if (name.size() < 7 || name.compare(name.size() - 6, 6, ".arena") != 0) return false;
  return name.find_first_not_of("0123456789.") == name.size() - 5 && std::isdigit(static_cast<unsigned char>(name[0]));
}

std::string user_name(uid_t uid) {
  struct passwd pw, *out = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &out) == 0 && out != nullptr) return pw.pw_name;
  return std::to_string(uid);
}

std::string state_of(const gi::Snapshot& s) {
  if (s.source == gi::Source::kLiveProcess) return "running";
  switch (s.state) {
    case gi::ProcessState::kCrashed: return "crashed";
    case gi::ProcessState::kExited: return "exited";
    default: return "gone";  // killed, or died before it could say
  }
}

// collect() lists the arenas of dir that its owner's rules let us trust (unread).
void collect(const std::string& dir, std::vector<Entry>* out, std::vector<std::string>* skipped) {
  if (std::string why = gi::check_arena_dir(dir); !why.empty()) {
    skipped->push_back("skipping " + why);
    return;
  }
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return;
  struct stat dst;
  if (fstat(dirfd(d.get()), &dst) != 0) return;
  while (dirent* e = readdir(d.get())) {
    std::string name = e->d_name;
    if (!arena_name(name)) continue;
    struct stat st;
    if (fstatat(dirfd(d.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != dst.st_uid || (st.st_mode & 022) != 0) {
      skipped->push_back("skipping " + dir + "/" + name + ": not a regular file of the directory's owner");
      continue;
    }
    Entry en;
    en.dir = dir;
    en.name = name;
    en.uid = st.st_uid;
    en.dev = st.st_dev;
    en.ino = st.st_ino;
    en.age_ns = clock_ns(CLOCK_REALTIME) - (st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
    out->push_back(std::move(en));
  }
}

}  // namespace

struct ArenaCache::Files {
  std::map<std::pair<dev_t, ino_t>, std::unique_ptr<gi::ArenaFile>> open;
};
ArenaCache::ArenaCache() : files_(std::make_unique<Files>()) {}
ArenaCache::~ArenaCache() = default;

namespace {

// read_all() reads the listed arenas, a few at a time (a host's worth of large
// processes is memory-bound work), and keeps those that read; with `open`, it reads
// the files mapped there and leaves there those it read.
std::vector<Entry> read_all(std::vector<Entry> listed, std::vector<std::string>* skipped,
                            std::map<std::pair<dev_t, ino_t>, std::unique_ptr<gi::ArenaFile>>* open) {
  std::vector<std::unique_ptr<gi::ArenaFile>> files(listed.size());
  if (open != nullptr) {
    for (std::size_t i = 0; i < listed.size(); ++i) {
      auto it = open->find({listed[i].dev, listed[i].ino});
      if (it != open->end()) files[i] = std::move(it->second);
    }
    open->clear();  // what is not listed any more is unmapped
  }
  gi::ReadOptions opt;
  opt.symbolize = opt.stacks = opt.events = opt.objects = false;
  opt.consistent = false;
  opt.counts_only = true;  // a million goroutines are counted in milliseconds, not listed
  std::vector<std::string> errors(listed.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < listed.size();) {
      Entry& en = listed[i];
      try {
        if (!files[i]) files[i] = std::make_unique<gi::ArenaFile>(gi::ArenaFile::open(en.arena()));
        en.snap = gi::read_open_file(*files[i], opt);
        en.live = en.snap.source == gi::Source::kLiveProcess;
        en.state = state_of(en.snap);
      } catch (const std::exception& err) {
        errors[i] = "skipping " + en.arena() + ": " + err.what();
      }
    }
  };
  std::size_t threads = std::min<std::size_t>(listed.size(), std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  std::vector<std::thread> helpers;
  for (std::size_t k = 1; k < threads; ++k) helpers.emplace_back(work);
  work();
  for (auto& t : helpers) t.join();
  std::vector<Entry> read;
  for (std::size_t i = 0; i < listed.size(); ++i) {
    if (open != nullptr && files[i] && errors[i].empty()) (*open)[{listed[i].dev, listed[i].ino}] = std::move(files[i]);
    if (errors[i].empty()) {
      read.push_back(std::move(listed[i]));
    } else {
      skipped->push_back(std::move(errors[i]));
    }
  }
  return read;
}

// prune() removes en's file if it is still the one that was read; "" or why not.
std::string prune(const Entry& en) {
  int dfd = open(en.dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return std::strerror(errno);
  std::string why;
  struct stat st;
  // A new process with the same pid moves the old arena aside and makes a new file:
  // only the very file that was read as dead is removed.
  if (fstatat(dfd, en.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != en.dev || st.st_ino != en.ino) {
    why = "it changed since it was read";
  } else if (unlinkat(dfd, en.name.c_str(), 0) != 0) {
    why = std::strerror(errno);
  }
  close(dfd);
  return why;
}

}  // namespace

std::vector<ProcessEntry> list_processes(std::vector<std::string>* skipped, ArenaCache* cache) {
  std::vector<Entry> listed;
  std::vector<std::string> why;
  for (const std::string& dir : directories()) collect(dir, &listed, &why);
  std::vector<Entry> entries = read_all(std::move(listed), &why, cache ? &cache->files_->open : nullptr);
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.live != b.live ? a.live : a.snap.pid < b.snap.pid;  // the running ones first
  });
  if (skipped != nullptr) {
    *skipped = std::move(why);
  } else {
    for (const std::string& w : why) std::fprintf(stderr, "gleak: %s\n", w.c_str());
  }
  return entries;
}

nlohmann::ordered_json process_json(const ProcessEntry& en) {
  return {{"pid", en.snap.pid},
          {"state", en.state},
          {"live", en.live},
          {"goroutines", en.snap.counts.total},
          {"blocked", en.snap.counts.blocked},
          {"uid", en.uid},
          {"user", user_name(en.uid)},
          {"exe", en.snap.exe},
          {"command", en.snap.cmdline},
          {"arena", en.arena()},
          {"age_seconds", en.age_ns / 1000000000}};
}

nlohmann::ordered_json processes_json(const std::vector<ProcessEntry>& entries) {
  nlohmann::ordered_json j = {{"schema", "gleak.ps"}, {"version", 1}, {"processes", nlohmann::ordered_json::array()}};
  for (const ProcessEntry& en : entries) j["processes"].push_back(process_json(en));
  return j;
}

int run_ps(const PsOptions& opt) {
  std::vector<Entry> entries = list_processes();
  bool all_users = geteuid() == 0;
  int status = 0;
  std::vector<const Entry*> pruned;
  if (opt.prune) {
    for (const Entry& en : entries) {
      if (en.live || en.age_ns < opt.older_than_ns) continue;
      if (std::string why = prune(en); !why.empty()) {
        std::fprintf(stderr, "gleak: cannot remove %s/%s: %s\n", en.dir.c_str(), en.name.c_str(), why.c_str());
        status = static_cast<int>(gi::ErrorCode::kIo);
        continue;
      }
      pruned.push_back(&en);
    }
  }
  auto was_pruned = [&](const Entry& en) {
    for (const Entry* p : pruned) {
      if (p == &en) return true;
    }
    return false;
  };
  if (opt.json) {
    nlohmann::ordered_json j = processes_json({});
    for (const Entry& en : entries) {
      if (!was_pruned(en)) j["processes"].push_back(process_json(en));
    }
    if (opt.prune) {
      j["pruned"] = nlohmann::ordered_json::array();
      for (const Entry* p : pruned) {
        j["pruned"].push_back({{"pid", p->snap.pid}, {"state", p->state}, {"arena", p->dir + "/" + p->name}});
      }
    }
    std::printf("%s\n", j.dump(2).c_str());
    return status;
  }
  for (const Entry* p : pruned) {
    std::printf("removed %s/%s (pid %d, %s)\n", p->dir.c_str(), p->name.c_str(), p->snap.pid, p->state.c_str());
  }
  if (all_users) {
    std::printf("%-8s %-10s %-8s %10s %8s  %s\n", "PID", "USER", "STATE", "GOROUTINES", "BLOCKED", "COMMAND");
  } else {
    std::printf("%-8s %-8s %10s %8s  %s\n", "PID", "STATE", "GOROUTINES", "BLOCKED", "COMMAND");
  }
  for (const Entry& en : entries) {
    if (was_pruned(en)) continue;
    if (all_users) {
      std::printf("%-8d %-10s %-8s %10llu %8llu  %s\n", en.snap.pid, user_name(en.uid).c_str(), en.state.c_str(),
                  static_cast<unsigned long long>(en.snap.counts.total),
                  static_cast<unsigned long long>(en.snap.counts.blocked), en.snap.cmdline.c_str());
    } else {
      std::printf("%-8d %-8s %10llu %8llu  %s\n", en.snap.pid, en.state.c_str(),
                  static_cast<unsigned long long>(en.snap.counts.total),
                  static_cast<unsigned long long>(en.snap.counts.blocked), en.snap.cmdline.c_str());
    }
  }
  return status;
}

}  // namespace gleak::cli
