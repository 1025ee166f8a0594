// arena/duration.h — Go's duration syntax, read the same way by the CLI's flags and the
// runtime's environment variables.
//
// "1m30s", "500ms", "2h", "1.5s", "250us" (or "µs"), "10ns", "0", or a plain number of
// seconds. Header-only and allocation-free, so the runtime can read it at start-up.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace gleak {

// parse_duration() is the duration in nanoseconds; -1 if the text is not a duration or
// is longer than 10^18 ns (about 31 years).
inline int64_t parse_duration(std::string_view text) {
  constexpr std::string_view kNumber = "0123456789.";
  auto number = [](std::string_view digits, double* v) {
    char buf[64];
    if (digits.empty() || digits.size() >= sizeof buf) return false;
    std::memcpy(buf, digits.data(), digits.size());
    buf[digits.size()] = '\0';
    char* end = nullptr;
    *v = std::strtod(buf, &end);
    return *end == '\0';
  };
  if (text.empty()) return -1;
  double total = 0;
  if (text.find_first_not_of(kNumber) == std::string_view::npos) {  // plain seconds
    if (!number(text, &total)) return -1;
    total *= 1e9;
  } else {
    struct Unit {
      std::string_view name;
      double ns;
    };
    static constexpr Unit kUnits[] = {{"ns", 1},    {"us", 1e3}, {"\u00b5s", 1e3}, {"ms", 1e6},
                                      {"s", 1e9},   {"m", 60e9}, {"h", 3600e9}};
    for (std::size_t at = 0; at < text.size();) {
      std::size_t unit_at = text.find_first_not_of(kNumber, at);
      if (unit_at == at || unit_at == std::string_view::npos) return -1;  // a number, then a unit
      double v = 0;
      if (!number(text.substr(at, unit_at - at), &v)) return -1;
      std::size_t unit_end = text.find_first_of(kNumber, unit_at);
      if (unit_end == std::string_view::npos) unit_end = text.size();
      std::string_view unit = text.substr(unit_at, unit_end - unit_at);
      double scale = -1;
      for (const Unit& u : kUnits) {
        if (unit == u.name) scale = u.ns;
      }
      if (scale < 0) return -1;
      total += v * scale;
      at = unit_end;
    }
  }
  if (!std::isfinite(total) || total > 1e18) return -1;
  return static_cast<int64_t>(total);
}

}  // namespace gleak
