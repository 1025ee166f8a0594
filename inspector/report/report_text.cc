// inspector/report/report_text.cc — see inspector/report/report_text.h.
#include "inspector/report/report_text.h"

#include <algorithm>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace gleak::inspector {
namespace {

constexpr size_t kMaxListed = 10;  // ids (and parents) listed in a bucket before eliding
constexpr size_t kMaxRecoveredShown = 8;  // recovered panics listed per goroutine
constexpr int kMaxAncestors = 32;         // lines of a creation chain

// shown() says whether a dump prints g: Go skips dead goroutines, and a free slot is
// not a goroutine at all.
bool shown(const Goroutine& g) {
  return g.crashed || (g.state != GoroutineState::kFree && g.state != GoroutineState::kDead);
}

// has_wait() says whether g carries a wait duration: Go prints one for goroutines that
// are waiting or in a syscall.
bool has_wait(const Goroutine& g) {
  return !g.crashed && arena::shows_wait(g.state) && g.wait_ns >= 0;
}

// crashed_goroutine() is the goroutine the crash record names, if the snapshot has it.
const Goroutine* crashed_goroutine(const Snapshot& s) {
  if (!s.crash) return nullptr;
  for (const Goroutine& g : s.goroutines) {
    if (g.crashed) return &g;
  }
  if (s.crash->goroutine == 0) return nullptr;
  for (const Goroutine& g : s.goroutines) {
    if (g.id == s.crash->goroutine) return &g;
  }
  return nullptr;
}

std::string location(const Frame& f) {
  std::string out;
  if (!f.file.empty()) {
    out = f.file + ":" + std::to_string(f.line);
  } else if (!f.module.empty()) {
    out = f.module;
  } else if (f.pc != 0) {
    out = format_hex(f.pc);
  } else {
    out = "??";
  }
  // Inlined frames have no offset of their own, as in Go's tracebacks.
  if (f.offset != 0) out += " +" + format_hex(f.offset);
  return out;
}

const std::string& function_name(const Frame& f) {
  static const std::string kUnknown = "??";
  return f.function.empty() ? kUnknown : f.function;
}

// frame_key() identifies a frame for grouping: by its source line when it has one,
// else by its place in the function, else by its address.
void append_frame_key(std::string& key, const Frame& f) {
  if (!f.file.empty()) {
    key += 'L' + f.function + '\x1f' + f.file + '\x1f' + std::to_string(f.line);
  } else if (!f.function.empty()) {
    key += 'F' + f.function + '\x1f' + f.module + '\x1f' + std::to_string(f.offset);
  } else {
    key += 'P' + f.module + '\x1f' + std::to_string(f.pc);
  }
  key += '\x1e';
}

std::string minutes_text(int64_t lo, int64_t hi) {
  if (hi < 1) return "";
  if (lo == hi) return ", " + std::to_string(hi) + " minutes";
  return ", " + std::to_string(lo) + "~" + std::to_string(hi) + " minutes";
}

std::string single_duration(const Goroutine& g, const TextOptions& opt) {
  if (!has_wait(g)) return "";
  if (opt.exact) return ", " + format_duration(g.wait_ns);
  int64_t m = g.wait_ns / arena::kStatusMinuteNs;
  return minutes_text(m, m);
}

std::string header(const std::string& who, const std::string& status, const std::string& duration, bool torn,
                   const std::string& labels = "") {
  return who + " [" + status + duration + (torn ? ", record torn" : "") + (labels.empty() ? "" : ", labels: " + labels) +
         "]:";
}

// make_bucket() is the bucket of g alone. The crashed goroutine falls back on the crash
// record's stack when its own could not be read.
Bucket make_bucket(const Goroutine& g, const Snapshot& s, const TextOptions& opt, bool crashed) {
  Bucket b;
  b.members.push_back(&g);
  b.crashed = crashed;
  b.status = crashed ? "running" : goroutine_status(g);
  b.torn = g.torn;
  const std::vector<Frame>* stack = &g.stack.frames();
  b.stack_note = g.stack_note;
  if (crashed && g.stack.empty() && s.crash && !s.crash->stack.empty()) {
    stack = &s.crash->stack.frames();
    b.stack_note.clear();
  }
  for (const Frame& f : *stack) {
    if (opt.all_frames || !f.runtime) b.stack.push_back(f);
  }
  b.stack_hidden = !stack->empty() && b.stack.empty();
  if (g.created_by) {
    b.created_by = g.created_by;
  } else if (g.parent_id != 0) {
    Frame f;
    f.pc = g.create_pc;
    b.created_by = f;
  }
  b.parent_ids.push_back(g.parent_id);
  if (has_wait(g)) b.min_wait_ns = b.max_wait_ns = g.wait_ns;
  return b;
}

// crash_thread_bucket() stands for a crash whose goroutine is not in the snapshot (or
// a plain thread's crash): the crash record's stack alone.
Bucket crash_thread_bucket(const Snapshot& s, const TextOptions& opt) {
  Bucket b;
  b.crashed = true;
  b.status = "running";
  for (const Frame& f : s.crash->stack) {
    if (opt.all_frames || !f.runtime) b.stack.push_back(f);
  }
  b.stack_hidden = !s.crash->stack.empty() && b.stack.empty();
  return b;
}

// one_line() is a frame on one line: `function file:line`.
std::string one_line(const std::optional<Frame>& f) {
  if (!f) return "??";
  std::string out = function_name(*f) + " ";
  if (!f->file.empty()) return out + f->file + ":" + std::to_string(f->line);
  if (!f->module.empty()) return out + f->module;
  return out + format_hex(f->pc);
}

// append_recovered() prints one recovered panic as the runtime's crash report does.
void append_recovered(std::string& out, const RecoveredPanic& r) {
  out += "recovered panic: " + r.message;
  if (r.truncated) out += "...";
  if (!r.type.empty()) out += " [" + r.type + "]";
  out += "\n\tthrown at ";
  out += r.stack.empty() ? std::string("(not known: not a gleak::panic)") : one_line(r.thrown_at);
  out += "\n\trecovered in " + (r.recover_pc ? one_line(r.recovered_in) : std::string("??")) + "\n";
}

// append_recovered_of() lists the most recent panics goroutine g recovered.
void append_recovered_of(std::string& out, const Goroutine& g, const Snapshot& s) {
  std::size_t n = g.recovered.size();
  std::size_t from = n > kMaxRecoveredShown ? n - kMaxRecoveredShown : 0;
  for (std::size_t i = from; i < n; ++i) {
    if (g.recovered[i] < s.recovered.size()) append_recovered(out, s.recovered[g.recovered[i]]);
  }
  if (from > 0) out += "(" + std::to_string(from) + " earlier recovered panic(s) not shown)\n";
}

// append_creation_chain() follows the crashed goroutine's parents that are still in
// the snapshot, as the runtime's crash report does.
void append_creation_chain(std::string& out, const Goroutine& g, const Snapshot& s) {
  auto line = [&](uint64_t id, const std::optional<Frame>& created_by, uint64_t create_pc, uint64_t parent) {
    Frame unknown;
    unknown.pc = create_pc;
    const Frame& f = created_by ? *created_by : unknown;
    out += "goroutine " + std::to_string(id) + " was created by " + function_name(f) + " in goroutine " +
           std::to_string(parent) + "\n\t" + location(f) + "\n";
  };
  auto gone = [&](uint64_t id) {
    out += "goroutine " + std::to_string(id) + " has exited: where it was created is not known\n";
  };
  if (s.crash && s.crash->chain_recorded && s.crash->goroutine == g.id) {
    // The chain as it was when the goroutine died.
    for (const Ancestor& a : s.crash->ancestors) line(a.goroutine, a.created_by, a.create_pc, a.parent_id);
    if (s.crash->ancestor_gone != 0) gone(s.crash->ancestor_gone);
    return;
  }
  uint64_t child = g.id;
  uint64_t ancestor = g.parent_id;
  for (int depth = 0; depth < kMaxAncestors && ancestor != 0 && ancestor < child; ++depth) {
    const Goroutine* a = s.goroutine(ancestor);
    if (a == nullptr) {
      gone(ancestor);
      return;
    }
    if (a->parent_id == 0 || (!a->created_by && a->create_pc == 0)) return;
    line(ancestor, a->created_by, a->create_pc, a->parent_id);
    child = ancestor;
    ancestor = a->parent_id;
  }
}

std::string bucket_key(const Bucket& b) {
  std::string key = b.status;
  key += b.torn ? "\x1fT" : "\x1f-";
  key += b.stack_hidden ? "\x1fH" : "\x1f-";
  key += '\x1f' + b.stack_note + '\x1d';
  for (const Frame& f : b.stack) append_frame_key(key, f);
  key += '\x1d';
  if (b.created_by) append_frame_key(key, *b.created_by);
  // Goroutines with other labels are other buckets, as in a pprof profile.
  if (!b.members.empty()) key += "\x1dL" + format_labels(*b.members[0]);
  // A goroutine that recovered panics is listed with them: alone.
  if (b.members.size() == 1 && !b.members[0]->recovered.empty()) key += "\x1dR" + std::to_string(b.members[0]->id);
  return key;
}

// ordered() is what a dump prints, in order: the crashed goroutine (or thread) first,
// then every other shown goroutine by id.
std::vector<Bucket> ordered(const Snapshot& s, const TextOptions& opt, std::vector<const Goroutine*>* rest) {
  std::vector<Bucket> out;
  const Goroutine* crashed = crashed_goroutine(s);
  if (crashed != nullptr) {
    out.push_back(make_bucket(*crashed, s, opt, true));
  } else if (s.crash && (s.crash->goroutine != 0 || s.crash->signal != 0 || !s.crash->stack.empty())) {
    // (A crash with neither a goroutine, a signal nor a stack is no thread's doing: a
    // global deadlock. Its message says it all.)
    out.push_back(crash_thread_bucket(s, opt));
  }
  for (const Goroutine& g : s.goroutines) {
    if (&g != crashed && shown(g)) rest->push_back(&g);
  }
  std::stable_sort(rest->begin(), rest->end(), [](const Goroutine* a, const Goroutine* b) { return a->id < b->id; });
  return out;
}

std::string parents_text(const std::vector<uint64_t>& parents) {
  if (parents.size() == 1) return parents[0] == 0 ? "" : " in goroutine " + std::to_string(parents[0]);
  if (parents.size() > kMaxListed) return " in " + std::to_string(parents.size()) + " goroutines";
  std::string out = " in goroutines";
  for (uint64_t p : parents) out += " " + std::to_string(p);
  return out;
}

std::string bucket_duration(const Bucket& b, const TextOptions& opt) {
  if (b.crashed) return "";
  if (opt.exact) {
    if (b.min_wait_ns < 0) return "";
    std::string lo = format_duration(b.min_wait_ns), hi = format_duration(b.max_wait_ns);
    return lo == hi ? ", " + lo : ", " + lo + "~" + hi;
  }
  // Go's minutes: members without a known wait count as under a minute.
  int64_t lo = INT64_MAX, hi = 0;
  for (const Goroutine* g : b.members) {
    int64_t m = has_wait(*g) ? g->wait_ns / arena::kStatusMinuteNs : 0;
    lo = std::min(lo, m);
    hi = std::max(hi, m);
  }
  return minutes_text(lo, hi);
}

void append_bucket(std::string& out, const Bucket& b, const Snapshot& s, const TextOptions& opt) {
  if (b.members.size() > 1) {
    out += header(std::to_string(b.members.size()) + " goroutines", b.status, bucket_duration(b, opt), b.torn,
                  format_labels(*b.members[0]));
  } else if (!b.members.empty()) {
    out += header("goroutine " + std::to_string(b.members[0]->id), b.status, bucket_duration(b, opt), b.torn,
                  format_labels(*b.members[0]));
  } else if (s.crash && s.crash->goroutine != 0) {
    out += header("goroutine " + std::to_string(s.crash->goroutine), b.status, "", false);
  } else {
    out += header("thread " + std::to_string(s.crash ? s.crash->tid : 0), b.status, "", false);
  }
  out += '\n';

  for (const Frame& f : b.stack) out += function_name(f) + "\n\t" + location(f) + "\n";
  if (b.stack_hidden) {
    out += "\t(runtime frames only)\n";
  } else if (b.stack.empty()) {
    out += b.stack_note.empty() ? "\t(stack unavailable)\n" : "\t(stack unavailable: " + b.stack_note + ")\n";
  }
  if (!b.stack.empty() || b.stack_hidden) {
    if (!b.stack_note.empty()) out += "\t(stack incomplete: " + b.stack_note + ")\n";
  }

  if (b.created_by) {
    out += "created by " + function_name(*b.created_by) + parents_text(b.parent_ids) + "\n\t" +
           location(*b.created_by) + "\n";
    if (b.crashed && b.members.size() == 1) append_creation_chain(out, *b.members[0], s);
  }
  if (b.members.size() == 1) append_recovered_of(out, *b.members[0], s);

  if (b.members.size() > 1) {
    out += "goroutines:";
    for (size_t i = 0; i < b.members.size() && i < kMaxListed; ++i) out += " " + std::to_string(b.members[i]->id);
    if (b.members.size() > kMaxListed) out += " ... (" + std::to_string(b.members.size() - kMaxListed) + " more)";
    out += '\n';
  }
}

// crash_message() is the crash record's message, or a stand-in when the runtime died
// before it could write one.
std::string crash_message(const Crash& c) {
  std::string m = c.message;
  while (!m.empty() && m.back() == '\n') m.pop_back();
  if (!m.empty()) return m;
  if (c.signal != 0) return "fatal error: signal " + std::to_string(c.signal);
  if (!c.exception_type.empty()) return "panic: exception of type " + c.exception_type;
  return "fatal error: crash (no message recorded)";
}

}  // namespace

std::string format_duration(int64_t ns) {
  if (ns < 0) ns = 0;
  constexpr int64_t kMs = 1'000'000, kTenth = 100'000'000;
  if (ns < 1'000'000'000) {
    int64_t ms = (ns + kMs / 2) / kMs;
    if (ms == 0) return "0s";
    if (ms < 1000) return std::to_string(ms) + "ms";
  }
  int64_t tenths = ns / kTenth + (ns % kTenth >= kTenth / 2 ? 1 : 0);
  int64_t h = tenths / 36000, m = tenths / 600 % 60, st = tenths % 600;
  std::string sec = std::to_string(st / 10);
  if (st % 10 != 0) sec += "." + std::to_string(st % 10);
  sec += "s";
  if (h > 0) return std::to_string(h) + "h" + std::to_string(m) + "m" + sec;
  if (m > 0) return std::to_string(m) + "m" + sec;
  return sec;
}

std::string goroutine_status(const Goroutine& g) {
  if (g.crashed) return "running";
  std::string status = arena::status_word(g.state, g.wait_reason);
  return g.state == GoroutineState::kWaiting && g.leaked ? status + " (leaked)" : status;
}

std::string format_goroutine_header(const Goroutine& g, const TextOptions& opt) {
  return header("goroutine " + std::to_string(g.id), goroutine_status(g), single_duration(g, opt), g.torn,
                format_labels(g));
}

std::string format_labels(const Goroutine& g) {
  if (g.labels.empty()) return "";
  std::string out = "{";
  for (const auto& [k, v] : g.labels) {
    if (out.size() > 1) out += ", ";
    out += "\"" + k + "\":\"" + v + "\"";
  }
  return out + "}";
}

std::vector<Bucket> group_goroutines(const Snapshot& s, const TextOptions& opt) {
  std::vector<const Goroutine*> rest;
  std::vector<Bucket> out = ordered(s, opt, &rest);
  size_t first = out.size();

  std::map<std::string, size_t> index;
  std::vector<std::set<uint64_t>> parents;
  for (const Goroutine* g : rest) {
    Bucket b = make_bucket(*g, s, opt, false);
    auto [it, added] = index.emplace(bucket_key(b), out.size());
    if (added) {
      out.push_back(std::move(b));
      parents.emplace_back();
    } else {
      Bucket& into = out[it->second];
      into.members.push_back(g);
      if (b.min_wait_ns >= 0) {
        into.min_wait_ns = into.min_wait_ns < 0 ? b.min_wait_ns : std::min(into.min_wait_ns, b.min_wait_ns);
        into.max_wait_ns = std::max(into.max_wait_ns, b.max_wait_ns);
      }
    }
    parents[it->second - first].insert(g->parent_id);
  }
  for (size_t i = first; i < out.size(); ++i) {
    const auto& p = parents[i - first];
    out[i].parent_ids.assign(p.begin(), p.end());
  }
  // Members were added by id, so members[0] is each bucket's lowest id.
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), [](const Bucket& a, const Bucket& b) {
    if (a.members.size() != b.members.size()) return a.members.size() > b.members.size();
    return a.members[0]->id < b.members[0]->id;
  });
  return out;
}

namespace {

// dump_to() builds the dump bucket by bucket, handing the text to flush() whenever a
// piece is ready: a dump of a million goroutines never sits in one string.
template <class Flush>
void dump_to(const Snapshot& s, const TextOptions& opt, Flush&& flush) {
  constexpr std::size_t kChunk = 1 << 16;
  std::string out;
  out.reserve(2 * kChunk);
  if (s.crash) out += crash_message(*s.crash) + "\n\n";
  bool first = true;
  auto emit = [&](const Bucket& b) {
    if (!first) out += '\n';
    first = false;
    append_bucket(out, b, s, opt);
    if (out.size() >= kChunk) {
      flush(out);
      out.clear();
    }
  };
  if (opt.group) {
    for (const Bucket& b : group_goroutines(s, opt)) emit(b);
  } else {
    // One goroutine at a time: a dump of a million goroutines holds one bucket, not a
    // million.
    std::vector<const Goroutine*> rest;
    for (const Bucket& b : ordered(s, opt, &rest)) emit(b);
    for (const Goroutine* g : rest) emit(make_bucket(*g, s, opt, false));
  }
  // Panics recovered by goroutines the dump does not show (they have exited since), or
  // by plain threads.
  bool headed = false;
  for (const RecoveredPanic& r : s.recovered) {
    const Goroutine* g = r.goroutine != 0 ? s.goroutine(r.goroutine) : nullptr;
    if (g != nullptr && shown(*g)) continue;
    if (!headed) {
      out += first ? "" : "\n";
      out += "recovered panics of exited goroutines and plain threads";
      if (s.recovered_lost > 0) out += " (" + std::to_string(s.recovered_lost) + " older ones overwritten)";
      out += ":\n";
      headed = true;
    }
    out += r.goroutine != 0 ? "goroutine " + std::to_string(r.goroutine) + " (exited):\n" : "a plain thread:\n";
    append_recovered(out, r);
  }
  if (!out.empty()) flush(out);
}

}  // namespace

std::string format_dump(const Snapshot& s, const TextOptions& opt) {
  std::string all;
  dump_to(s, opt, [&](const std::string& piece) { all += piece; });
  return all;
}

std::string format_hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string format_bucket(const Bucket& b, const Snapshot& s, const TextOptions& opt) {
  std::string out;
  append_bucket(out, b, s, opt);
  return out;
}

bool write_dump(const Snapshot& s, const TextOptions& opt, std::FILE* out) {
  bool ok = true;
  dump_to(s, opt, [&](const std::string& piece) {
    ok = ok && std::fwrite(piece.data(), 1, piece.size(), out) == piece.size();
  });
  return ok && std::fflush(out) == 0;
}

}  // namespace gleak::inspector
