// inspector/read/symbols.h — symbolizing a snapshot's addresses, with a cache.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbolize/symbolize.h"
#include "inspector/snapshot.h"

namespace gleak::inspector {

class Symbols {
 public:
  // Symbols(pid): a live process's modules. Symbols(maps): a copy of a dead process's
  // /proc/<pid>/maps (its files must still be on disk).
  explicit Symbols(pid_t pid);
  explicit Symbols(const std::string& maps);

  bool ok() const { return sym_.ok(); }

  // stack() expands return addresses (the first may be an exact pc: first_is_pc) into
  // frames, inlined calls included, and marks gleak's own frames as runtime.
  std::vector<Frame> stack(const std::vector<uint64_t>& pcs, bool first_is_pc) const;
  // creation() is the user's frame that called go() at return address pc.
  Frame creation(uint64_t pc) const;

 private:
  const std::vector<symbolize::Frame>& chain(uint64_t pc, bool is_return) const;
  symbolize::Symbolizer sym_;
  mutable std::unordered_map<uint64_t, std::vector<symbolize::Frame>> cache_;
};

}  // namespace gleak::inspector
