// arena/maps.h — one line of /proc/<pid>/maps, read without allocating or locking.
//
// The arena holds a copy of the process's memory map (ArenaHeader::maps_offset), taken
// at start and at a crash, so that a dead process's addresses can be symbolized. The
// crash handler reads that copy inside a signal handler; the symbolizer and the
// inspector read it, or a live /proc/<pid>/maps, as text. All of them read it here.
#pragma once

#include <cstdint>
#include <string_view>

namespace gleak::arena {

// MapsLine is "start-end perms offset dev inode [path]".
struct MapsLine {
  uint64_t start = 0;
  uint64_t end = 0;
  bool read = false, write = false, exec = false, shared = false;
  uint64_t offset = 0;  // in the file
  uint64_t inode = 0;
  std::string_view path;  // a file's path, "[heap]", "[stack]", ...; empty when anonymous
};

namespace maps_detail {

inline std::size_t hex(std::string_view s, std::size_t i, uint64_t* out) {
  uint64_t v = 0;
  std::size_t from = i;
  for (; i < s.size(); ++i) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0 || i - from >= 16) break;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  *out = v;
  return i;
}

inline std::size_t dec(std::string_view s, std::size_t i, uint64_t* out) {
  uint64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  *out = v;
  return i;
}

inline std::size_t spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

inline std::size_t field(std::string_view s, std::size_t i) {
  while (i < s.size() && s[i] != ' ') ++i;
  return i;
}

}  // namespace maps_detail

// parse_maps_line() reads one line (without its newline); false when it is not a
// mapping: no range, an empty or reversed one, or no permissions.
inline bool parse_maps_line(std::string_view line, MapsLine& out) {
  using namespace maps_detail;
  out = MapsLine{};
  std::size_t i = hex(line, 0, &out.start);
  if (i == 0 || i >= line.size() || line[i] != '-') return false;
  std::size_t j = hex(line, i + 1, &out.end);
  if (j == i + 1 || j >= line.size() || line[j] != ' ' || out.end <= out.start) return false;
  i = j + 1;
  if (line.size() < i + 4) return false;
  out.read = line[i] == 'r';
  out.write = line[i + 1] == 'w';
  out.exec = line[i + 2] == 'x';
  out.shared = line[i + 3] == 's';
  i = spaces(line, field(line, i));
  i = spaces(line, hex(line, i, &out.offset));
  i = spaces(line, field(line, i));  // dev
  i = spaces(line, dec(line, i, &out.inode));
  out.path = line.substr(i);
  return true;
}

// for_each_maps_line() calls fn(const MapsLine&) on every mapping of a maps text; fn
// returns false to stop.
template <typename Fn>
inline void for_each_maps_line(std::string_view text, Fn&& fn) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    MapsLine m;
    if (parse_maps_line(text.substr(at, eol - at), m) && !fn(m)) return;
    at = eol + 1;
  }
}

}  // namespace gleak::arena
