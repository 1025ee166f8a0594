// core/labels.cc — set_label() and labels() (gleak/runtime.h). A goroutine's labels
// live as text in its arena record (arena::GoroutineRecord::labels), which go() copies
// to the goroutines it starts and the inspector reads.
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arena/layout.h"
#include "core/internal/g.h"
#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "gleak/runtime.h"

namespace gleak {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

Labels parse(const char (&text)[arena::kLabelBytes]) {
  Labels out;
  arena::for_each_label(text, [&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

}  // namespace

bool set_label(std::string_view key, std::string_view value) {
  if (key.empty() || key.find_first_of("=\n") != std::string_view::npos || value.find('\n') != std::string_view::npos) {
    return false;
  }
  internal::G* owner = nullptr;
  char (&text)[arena::kLabelBytes] = *reinterpret_cast<char (*)[arena::kLabelBytes]>(internal::current_labels(&owner));
  Labels all = parse(text);
  bool found = false;
  for (auto it = all.begin(); it != all.end(); ++it) {
    if (it->first != key) continue;
    found = true;
    if (value.empty()) {
      all.erase(it);
    } else {
      it->second = value;
    }
    break;
  }
  if (!found && !value.empty()) all.emplace_back(key, value);
  std::string joined;
  for (const auto& [k, v] : all) joined += (joined.empty() ? "" : "\n") + k + "=" + v;
  if (joined.size() >= arena::kLabelBytes) return false;
  char next[arena::kLabelBytes] = {};
  std::memcpy(next, joined.data(), joined.size());
  if (arena::ArenaHeader* h = internal::arena_header();
      !joined.empty() && h != nullptr && (h->flags.load(std::memory_order_relaxed) & arena::kArenaLabelled) == 0) {
    h->flags.fetch_or(arena::kArenaLabelled, std::memory_order_release);
  }
  if (owner != nullptr) {
    internal::RecordWrite w(owner);
    std::memcpy(text, next, sizeof next);
  } else {
    std::memcpy(text, next, sizeof next);
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> labels() {
  internal::G* owner = nullptr;
  return parse(*reinterpret_cast<char (*)[arena::kLabelBytes]>(internal::current_labels(&owner)));
}

}  // namespace gleak
