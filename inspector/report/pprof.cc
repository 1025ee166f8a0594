// inspector/report/pprof.cc — see pprof.h.
#include "inspector/report/pprof.h"

#include <time.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "inspector/errors.h"
#include "inspector/proto/profile.pb.h"

namespace gleak::inspector {

namespace pb = perftools::profiles;

namespace {

// ProfileBuilder keeps the tables of a Profile (strings, mappings, functions,
// locations) free of duplicates.
class ProfileBuilder {
 public:
  explicit ProfileBuilder(pb::Profile& p) : p_(p) { str(""); }

  int64_t str(const std::string& s) {
    auto [it, added] = strings_.emplace(s, static_cast<int64_t>(strings_.size()));
    if (added) p_.add_string_table(s);
    return it->second;
  }

  uint64_t mapping(const std::string& module) {
    if (module.empty()) return 0;
    auto [it, added] = mappings_.emplace(module, p_.mapping_size() + 1);
    if (added) {
      pb::Mapping* m = p_.add_mapping();
      m->set_id(it->second);
      m->set_filename(str(module));
      // Symbolized already: pprof must not look for the binary to do it again.
      m->set_has_functions(true);
      m->set_has_filenames(true);
      m->set_has_line_numbers(true);
      m->set_has_inline_frames(true);
    }
    return it->second;
  }

  uint64_t function(const std::string& name, const std::string& file) {
    auto [it, added] = functions_.emplace(std::make_pair(name, file), p_.function_size() + 1);
    if (added) {
      pb::Function* f = p_.add_function();
      f->set_id(it->second);
      f->set_name(str(name));
      f->set_system_name(str(name));
      f->set_filename(str(file));
    }
    return it->second;
  }

  // location() is the location of frames[begin, end): one machine frame and the frames
  // inlined into it, innermost first.
  uint64_t location(const std::vector<Frame>& frames, std::size_t begin, std::size_t end) {
    const Frame& outer = frames[end - 1];
    std::string key = std::to_string(outer.pc);
    if (outer.pc == 0) {
      for (std::size_t i = begin; i < end; ++i) key += '\x1f' + frames[i].function;
    }
    auto [it, added] = locations_.emplace(key, p_.location_size() + 1);
    if (added) {
      pb::Location* l = p_.add_location();
      l->set_id(it->second);
      l->set_address(outer.pc);
      l->set_mapping_id(mapping(outer.module));
      for (std::size_t i = begin; i < end; ++i) {
        pb::Line* line = l->add_line();
        line->set_function_id(function(frames[i].function.empty() ? "??" : frames[i].function, frames[i].file));
        line->set_line(frames[i].line);
      }
    }
    return it->second;
  }

 private:
  pb::Profile& p_;
  std::unordered_map<std::string, int64_t> strings_;
  std::map<std::string, uint64_t> mappings_;
  std::map<std::pair<std::string, std::string>, uint64_t> functions_;
  std::unordered_map<std::string, uint64_t> locations_;
};

std::vector<Frame> visible_frames(const Goroutine& g, const Snapshot& s, const TextOptions& opt) {
  const Stack* stack = &g.stack;
  if (g.crashed && g.stack.empty() && s.crash) stack = &s.crash->stack;
  std::vector<Frame> out;
  for (const Frame& f : *stack) {
    if (opt.all_frames || !f.runtime) out.push_back(f);
  }
  if (out.empty()) {
    Frame f;
    if (!stack->empty()) {
      f.function = "(runtime frames only)";
    } else {
      f.function = g.stack_note.empty() ? "(stack unavailable)" : "(stack unavailable: " + g.stack_note + ")";
    }
    out.push_back(f);
  }
  return out;
}

}  // namespace

std::string goroutine_profile(const Snapshot& s, const TextOptions& opt) {
  pb::Profile p;
  ProfileBuilder b(p);
  pb::ValueType* st = p.add_sample_type();
  st->set_type(b.str("goroutine"));
  st->set_unit(b.str("count"));
  p.mutable_period_type()->set_type(b.str("goroutine"));
  p.mutable_period_type()->set_unit(b.str("count"));
  p.set_period(1);
  // mapping[0] is the main binary, by pprof's convention.
  if (!s.exe.empty()) b.mapping(s.exe);
  if (s.source == Source::kLiveProcess || s.source == Source::kSelf) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    p.set_time_nanos(ts.tv_sec * 1000000000LL + ts.tv_nsec);
  }
  p.add_comment(b.str("gleak goroutine profile of pid " + std::to_string(s.pid) + ": " + s.cmdline));
  const int64_t k_state = b.str("state"), k_reason = b.str("wait_reason"), k_leaked = b.str("leaked");

  // Samples by (locations, state, wait reason, leaked, the goroutine's own labels).
  using Labels = std::vector<std::pair<std::string, std::string>>;
  using Key = std::tuple<std::vector<uint64_t>, GoroutineState, WaitReason, bool, Labels>;
  std::map<Key, int64_t> counts;
  for (const Goroutine& g : s.goroutines) {
    if (!g.crashed && (g.state == GoroutineState::kFree || g.state == GoroutineState::kDead)) continue;
    std::vector<Frame> frames = visible_frames(g, s, opt);
    std::vector<uint64_t> locs;
    for (std::size_t i = 0; i < frames.size();) {
      // A machine frame is the first with an offset, or the last of a run of frames at
      // one pc: those before it were inlined into it.
      std::size_t j = i;
      while (j + 1 < frames.size() && frames[j].offset == 0 && frames[j + 1].pc == frames[i].pc) ++j;
      locs.push_back(b.location(frames, i, j + 1));
      i = j + 1;
    }
    GoroutineState state = g.crashed ? GoroutineState::kRunning : g.state;
    WaitReason reason = state == GoroutineState::kWaiting || state == GoroutineState::kSyscall ? g.wait_reason
                                                                                                : WaitReason::kNone;
    ++counts[Key{std::move(locs), state, reason, g.leaked, g.labels}];
  }
  for (const auto& [key, n] : counts) {
    const auto& [locs, state, reason, leaked, labels] = key;
    pb::Sample* sample = p.add_sample();
    for (uint64_t l : locs) sample->add_location_id(l);
    sample->add_value(n);
    pb::Label* l = sample->add_label();
    l->set_key(k_state);
    l->set_str(b.str(arena::goroutine_state_name(state)));
    if (reason != WaitReason::kNone) {
      l = sample->add_label();
      l->set_key(k_reason);
      l->set_str(b.str(arena::wait_reason_name(reason)));
    }
    if (leaked) {
      l = sample->add_label();
      l->set_key(k_leaked);
      l->set_str(b.str("true"));
    }
    for (const auto& [k, v] : labels) {
      l = sample->add_label();
      l->set_key(b.str(k));
      l->set_str(b.str(v));
    }
  }
  std::string out;
  if (!p.SerializeToString(&out)) throw InspectError(ErrorCode::kIo, "could not serialize the profile");
  return out;
}

std::string goroutine_profile_text(const Snapshot& s, const TextOptions& opt) {
  using Labels = std::vector<std::pair<std::string, std::string>>;
  struct Entry {
    int64_t count = 0;
    std::vector<Frame> frames;
  };
  std::map<std::pair<std::vector<uint64_t>, Labels>, Entry> entries;
  int64_t total = 0;
  for (const Goroutine& g : s.goroutines) {
    if (!g.crashed && (g.state == GoroutineState::kFree || g.state == GoroutineState::kDead)) continue;
    std::vector<Frame> frames = visible_frames(g, s, opt);
    std::vector<uint64_t> pcs;
    for (const Frame& f : frames) pcs.push_back(f.pc);
    Entry& e = entries[{std::move(pcs), g.labels}];
    if (e.count++ == 0) e.frames = std::move(frames);
    ++total;
  }
  std::vector<std::pair<const std::pair<std::vector<uint64_t>, Labels>*, const Entry*>> order;
  for (const auto& [key, e] : entries) order.emplace_back(&key, &e);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second->count > b.second->count; });
  std::string out = "goroutine profile: total " + std::to_string(total) + "\n";
  for (const auto& [key, e] : order) {
    out += std::to_string(e->count) + " @";
    uint64_t last = 0;
    for (const Frame& f : e->frames) {
      // An inlined frame shares its caller's pc: the pc list names machine frames once.
      if (f.pc != 0 && f.pc != last) out += " " + format_hex(f.pc);
      last = f.pc;
    }
    out += "\n";
    if (!key->second.empty()) {
      out += "# labels: {";
      for (std::size_t i = 0; i < key->second.size(); ++i) {
        out += (i ? ", \"" : "\"") + key->second[i].first + "\":\"" + key->second[i].second + "\"";
      }
      out += "}\n";
    }
    for (const Frame& f : e->frames) {
      out += "#\t" + format_hex(f.pc) + "\t" + (f.function.empty() ? "?" : f.function) + "+" + format_hex(f.offset);
      if (!f.file.empty()) out += "\t" + f.file + ":" + std::to_string(f.line);
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

std::string gzip(const std::string& bytes) {
  z_stream z{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw InspectError(ErrorCode::kIo, "zlib: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, bytes.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw InspectError(ErrorCode::kIo, "zlib: deflate failed");
  return out;
}

std::string gunzip(const std::string& bytes) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw InspectError(ErrorCode::kIo, "zlib: inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw InspectError(ErrorCode::kCorrupt, "not a complete gzip stream");
  return out;
}

void write_goroutine_profile(const Snapshot& s, const TextOptions& opt, std::FILE* out) {
  std::string bytes = gzip(goroutine_profile(s, opt));
  if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size() || std::fflush(out) != 0) {
    throw InspectError(ErrorCode::kIo, std::string("writing the profile failed: ") + std::strerror(errno));
  }
}

}  // namespace gleak::inspector
