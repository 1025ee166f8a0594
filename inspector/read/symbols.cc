// inspector/read/symbols.cc — see symbols.h.
#include "inspector/read/symbols.h"

namespace gleak::inspector {

namespace {

Frame convert(const symbolize::Frame& f) {
  Frame out;
  out.pc = f.pc;
  out.function = f.function;
  out.file = f.file;
  out.line = f.line;
  out.offset = f.offset;
  out.module = f.module;
  out.runtime = symbolize::is_gleak_frame(f);
  return out;
}

}  // namespace

Symbols::Symbols(pid_t pid) : sym_(pid) {}
Symbols::Symbols(const std::string& maps) : sym_(maps) {}

const std::vector<symbolize::Frame>& Symbols::chain(uint64_t pc, bool is_return) const {
  // Exact pcs and return addresses of the same value symbolize differently: key on both.
  uint64_t key = pc * 2 + (is_return ? 1 : 0);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  return cache_.emplace(key, sym_.lookup_inlined(pc, is_return)).first->second;
}

std::vector<Frame> Symbols::stack(const std::vector<uint64_t>& pcs, bool first_is_pc) const {
  std::vector<Frame> out;
  for (std::size_t i = 0; i < pcs.size(); ++i) {
    for (const auto& f : chain(pcs[i], !(first_is_pc && i == 0))) out.push_back(convert(f));
  }
  // Below the user's outermost function sit the go() closure and std::apply: they
  // belong to gleak's goroutine entry.
  for (std::size_t i = out.size(); i-- > 0;) {
    if (!out[i].runtime && !symbolize::is_std_plumbing({out[i].pc, out[i].function, out[i].file, out[i].line,
                                                        out[i].offset, out[i].module})) {
      break;
    }
    out[i].runtime = true;
  }
  return out;
}

Frame Symbols::creation(uint64_t pc) const {
  const auto& c = chain(pc, true);
  if (c.empty()) {
    Frame f;
    f.pc = pc;
    return f;
  }
  Frame f = convert(c[symbolize::creation_site(c)]);
  f.offset = c.back().offset;  // the offset of the physical function, as Go prints it
  return f;
}

}  // namespace gleak::inspector
