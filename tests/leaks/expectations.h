// tests/leaks/expectations.h — what both leak corpora (cases/ and real/) share: the
// `gleak-expect` lines of a case (cases/README.md, real/README.md) and the cases of a
// directory.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace gleak::testing_support {

struct Expectation {
  std::map<std::pair<std::string, std::string>, int> leaked;  // (function or "*", wait reason) -> count
  bool cycle = false;
  bool none = false;
};

inline Expectation read_expectation(const std::string& path) {
  Expectation e;
  std::ifstream in(path);
  std::string line;
  const std::string tag = "// gleak-expect: ";
  while (std::getline(in, line)) {
    if (line.rfind(tag, 0) != 0) continue;
    std::string what = line.substr(tag.size());
    if (what == "none") {
      e.none = true;
    } else if (what == "deadlock-cycle") {
      e.cycle = true;
    } else if (what.rfind("leaked ", 0) == 0) {
      std::istringstream is(what.substr(7));
      int n = 0;
      std::string fn, reason;
      is >> n >> fn;
      std::getline(is >> std::ws, reason);
      e.leaked[{fn, reason}] += n;
    }
  }
  return e;
}

// case_names() are the cases (`<name>.cc`) in dir, sorted.
inline std::vector<std::string> case_names(const char* dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir)) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 3 && n.substr(n.size() - 3) == ".cc") names.push_back(n.substr(0, n.size() - 3));
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// names_function() says whether word is a whole word of the demangled name ("*": any).
inline bool names_function(const std::string& demangled, const std::string& word) {
  return word == "*" || std::regex_search(demangled, std::regex("\\b" + word + "\\b"));
}

}  // namespace gleak::testing_support
