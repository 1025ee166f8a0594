// cli/diff.cc — see diff.h.
#include "cli/diff.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "inspector/errors.h"
#include "inspector/read/reader.h"
#include "inspector/report/report_text.h"

namespace gleak::cli {
namespace {

namespace gi = gleak::inspector;

// A bucket is the goroutines of one signature: the status word, the user's frames
// (functions, innermost first) and the function of the go() call. Ids, addresses and
// wait times differ from moment to moment; a bucket's signature does not.
struct Bucket {
  std::string status;
  std::vector<std::string> stack;
  std::string created_by;
  std::string first_site;  // file:line of the innermost user frame, to find it
  long count = 0;
};

struct Side {
  std::string what;  // how the header names it
  long goroutines = 0;
  std::map<std::string, Bucket> buckets;
};

std::string key_of(const Bucket& b) {
  std::string k = b.status;
  for (const std::string& f : b.stack) k += "\n" + f;
  return k + "\ncreated by " + b.created_by;
}

void add(Side& side, Bucket b) {
  ++side.goroutines;
  auto [it, fresh] = side.buckets.try_emplace(key_of(b), std::move(b));
  ++it->second.count;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// from_json() reads a `gleak dump --json` file (schema gleak.snapshot).
Side from_json(const std::string& path, const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("schema", "") != "gleak.snapshot" || !j["goroutines"].is_array()) {
    throw gi::InspectError(gi::ErrorCode::kCorrupt, path + ": not the JSON of `gleak dump --json`");
  }
  Side side;
  side.what = path + " (" + j.value("source", "?") + " pid " + std::to_string(j.value("pid", 0)) + ")";
  for (const auto& g : j["goroutines"]) {
    Bucket b;
    b.status = g.value("status", "");
    if (g["stack"].is_array()) {
      for (const auto& f : g["stack"]) {
        if (f.value("runtime", false)) continue;
        b.stack.push_back(f.value("function", "??"));
        if (b.first_site.empty() && !f.value("file", "").empty()) {
          b.first_site = f.value("file", "") + ":" + std::to_string(f.value("line", 0));
        }
      }
    }
    if (g["created_by"].is_object()) b.created_by = g["created_by"].value("function", "");
    add(side, std::move(b));
  }
  return side;
}

Side from_snapshot(const std::string& name, const gi::Snapshot& s) {
  Side side;
  side.what = name + " (" + (s.source == gi::Source::kLiveProcess ? "live" : "dead") + " pid " +
              std::to_string(s.pid) + ")";
  for (const gi::Goroutine& g : s.goroutines) {
    Bucket b;
    b.status = gi::goroutine_status(g);
    for (const gi::Frame& f : g.stack) {
      if (f.runtime) continue;
      b.stack.push_back(f.function.empty() ? "??" : f.function);
      if (b.first_site.empty() && !f.file.empty()) b.first_site = f.file + ":" + std::to_string(f.line);
    }
    if (g.created_by) b.created_by = g.created_by->function;
    add(side, std::move(b));
  }
  return side;
}

Side read_side(const std::string& target) {
  gi::ReadOptions opt;
  opt.events = opt.objects = false;
  if (all_digits(target)) return from_snapshot("pid " + target, gi::read_pid(std::stoi(target), opt));
  struct stat st;
  if (stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw gi::InspectError(gi::ErrorCode::kNoSuchProcess, target + ": neither a pid, an arena file nor a JSON dump");
  }
  std::ifstream in(target, std::ios::binary);
  char first = 0;
  in >> first;
  if (first == '{') {
    in.seekg(0);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return from_json(target, text);
  }
  return from_snapshot(target, gi::read_file(target, opt));
}

struct Change {
  const Bucket* bucket;
  long a = 0, b = 0;
  const char* kind() const { return a == 0 ? "new" : b == 0 ? "gone" : b > a ? "grew" : b < a ? "shrank" : "same"; }
};

}  // namespace

int run_diff(const std::string& a_target, const std::string& b_target, bool json) {
  Side a = read_side(a_target), b = read_side(b_target);
  std::vector<Change> changes;
  for (const auto& [key, bucket] : a.buckets) {
    auto it = b.buckets.find(key);
    changes.push_back({&bucket, bucket.count, it == b.buckets.end() ? 0 : it->second.count});
  }
  for (const auto& [key, bucket] : b.buckets) {
    if (a.buckets.count(key) == 0) changes.push_back({&bucket, 0, bucket.count});
  }
  // The biggest growth first; then what shrank the most; unchanged buckets last.
  std::stable_sort(changes.begin(), changes.end(), [](const Change& x, const Change& y) {
    long dx = x.b - x.a, dy = y.b - y.a;
    if ((dx == 0) != (dy == 0)) return dx != 0;
    return dx > dy;
  });
  if (json) {
    nlohmann::ordered_json j = {{"schema", "gleak.diff"},
                                {"version", 1},
                                {"a", {{"source", a.what}, {"goroutines", a.goroutines}}},
                                {"b", {{"source", b.what}, {"goroutines", b.goroutines}}},
                                {"buckets", nlohmann::ordered_json::array()}};
    for (const Change& c : changes) {
      j["buckets"].push_back({{"change", c.kind()},
                              {"a", c.a},
                              {"b", c.b},
                              {"delta", c.b - c.a},
                              {"status", c.bucket->status},
                              {"stack", c.bucket->stack},
                              {"created_by", c.bucket->created_by},
                              {"site", c.bucket->first_site}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("# a: %s, %ld goroutines\n# b: %s, %ld goroutines (%+ld)\n", a.what.c_str(), a.goroutines,
              b.what.c_str(), b.goroutines, b.goroutines - a.goroutines);
  long same = 0;
  for (const Change& c : changes) {
    if (c.a == c.b) {
      ++same;
      continue;
    }
    std::printf("\n%s: %ld -> %ld (%+ld) [%s]\n", c.kind(), c.a, c.b, c.b - c.a, c.bucket->status.c_str());
    for (const std::string& f : c.bucket->stack) std::printf("\t%s\n", f.c_str());
    if (!c.bucket->first_site.empty()) std::printf("\tat %s\n", c.bucket->first_site.c_str());
    if (!c.bucket->created_by.empty()) std::printf("\tcreated by %s\n", c.bucket->created_by.c_str());
  }
  std::printf("\n# %ld bucket(s) unchanged\n", same);
  return 0;
}

}  // namespace gleak::cli
