// symbolize/symbolize.h — addresses to function, file and line, from ELF/DWARF (libdw).
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
  // Symbolizer(maps) reads the modules listed in a copy of /proc/<pid>/maps, for a
  // process that is gone (the files must still be on disk).
  explicit Symbolizer(const std::string& maps);
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

// Frame classification, shared by crash reports and dumps so that both hide the same
// frames, as Go's tracebacks hide the runtime's.
//
// is_gleak_frame(): gleak's own code — the runtime, the public API's wrappers.
bool is_gleak_frame(const Frame& f);
// is_std_plumbing(): the standard library's call machinery (std::apply, std::invoke,
// std::function) that sits between gleak's wrappers and the user's function.
bool is_std_plumbing(const Frame& f);
// is_panic_machinery(): the frames between a throw and the handler that reports it
// (__cxa_throw, std::terminate, gleak's panic and crash code).
bool is_panic_machinery(const Frame& f);
// creation_site() is the index, in the inlined chain of a go() call's return address,
// of the user's frame that called go().
std::size_t creation_site(const std::vector<Frame>& chain);

}  // namespace gleak::symbolize
