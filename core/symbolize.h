// core/symbolize.h — addresses to function, file and line, from ELF/DWARF (libdw).
//
// Shared by the runtime (panic and crash reports) and the inspector (dumps). libdw
// uses frames of up to 152 KB: never call into a Symbolizer on a goroutine stack; use
// a thread with a normal-sized stack.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gleak::symbolize {

struct Frame {
  uintptr_t pc = 0;
  std::string function;  // demangled; empty when unknown
  std::string file;      // empty when there is no line information
  int line = 0;
  uintptr_t offset = 0;  // pc minus the function's start
  std::string module;    // the ELF object that contains pc
};

class Symbolizer {
 public:
  // Symbolizer(pid) reads the modules mapped in process pid (getpid() for this one).
  explicit Symbolizer(pid_t pid);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // ok() says whether the process's modules could be read.
  bool ok() const;
  // lookup() describes pc. A return address (the usual case for stack frames) is
  // looked up at pc - 1 so that a call at the end of a function maps to its line.
  Frame lookup(uintptr_t pc, bool is_return_address = true) const;
  // lookup_inlined() expands pc into the chain of functions inlined at it, innermost
  // first; the last entry is the function that contains pc in the binary.
  std::vector<Frame> lookup_inlined(uintptr_t pc, bool is_return_address = true) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// demangle() turns a C++ symbol into readable text; other names pass through.
std::string demangle(const char* name);

}  // namespace gleak::symbolize
