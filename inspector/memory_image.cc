// inspector/memory_image.cc — see memory_image.h.
#include "inspector/memory_image.h"

#include <cstdlib>
#include <sstream>

namespace gleak::inspector {

std::vector<MapEntry> parse_maps(const std::string& text) {
  std::vector<MapEntry> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // start-end perms offset dev inode [path]
    MapEntry e;
    char* p = line.data();
    char* endp = nullptr;
    e.start = std::strtoull(p, &endp, 16);
    if (endp == p || *endp != '-') continue;
    p = endp + 1;
    e.end = std::strtoull(p, &endp, 16);
    if (endp == p || *endp != ' ' || e.end <= e.start) continue;
    p = endp + 1;
    if (line.size() < static_cast<std::size_t>(p - line.data()) + 4) continue;
    e.read = p[0] == 'r';
    e.write = p[1] == 'w';
    e.exec = p[2] == 'x';
    e.shared = p[3] == 's';
    p += 4;
    e.offset = std::strtoull(p, &endp, 16);
    p = endp;
    while (*p == ' ') ++p;
    while (*p && *p != ' ') ++p;  // dev
    e.inode = std::strtoull(p, &endp, 10);
    p = endp;
    while (*p == ' ') ++p;
    e.path = p;
    out.push_back(e);
  }
  return out;
}

}  // namespace gleak::inspector
