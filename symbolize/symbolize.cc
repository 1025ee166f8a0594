// symbolize/symbolize.cc — see symbolize/symbolize.h.
#include "symbolize/symbolize.h"

#include "arena/maps.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <cstdlib>
#include <cstring>

namespace gleak::symbolize {

struct Symbolizer::Impl {
  Dwfl* dwfl = nullptr;
  Dwfl_Callbacks callbacks{};
  char* debuginfo_path = nullptr;
};

Symbolizer::Symbolizer(pid_t pid) : impl_(std::make_unique<Impl>()) {
  impl_->callbacks.find_elf = dwfl_linux_proc_find_elf;
  impl_->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
  impl_->callbacks.debuginfo_path = &impl_->debuginfo_path;
  impl_->dwfl = dwfl_begin(&impl_->callbacks);
  if (impl_->dwfl == nullptr) return;
  if (dwfl_linux_proc_report(impl_->dwfl, pid) != 0 || dwfl_report_end(impl_->dwfl, nullptr, nullptr) != 0) {
    dwfl_end(impl_->dwfl);
    impl_->dwfl = nullptr;
  }
}

Symbolizer::Symbolizer(const std::string& maps) : impl_(std::make_unique<Impl>()) {
  // The paths come from a file anyone may have written (a dead process's arena): only
  // regular files are opened, without waiting (a FIFO would block), and separate debug
  // files are looked for under /usr/lib/debug only, never beside those paths.
  impl_->callbacks.find_elf = dwfl_build_id_find_elf;
  impl_->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
  static char kSystemDebugOnly[] = "/usr/lib/debug";
  impl_->debuginfo_path = kSystemDebugOnly;
  impl_->callbacks.debuginfo_path = &impl_->debuginfo_path;
  impl_->dwfl = dwfl_begin(&impl_->callbacks);
  if (impl_->dwfl == nullptr) return;
  dwfl_report_begin(impl_->dwfl);
  // Each file-backed mapping: "start-end perms offset dev inode path". A module's load
  // address is its mapping start minus that mapping's file offset.
  std::string last_path;
  arena::for_each_maps_line(maps, [&](const arena::MapsLine& m) {
    if (m.path.empty() || m.path[0] != '/' || m.path == last_path) return true;
    last_path = std::string(m.path);
    int fd = open(last_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return true;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return true;
    }
    // On success the module owns fd.
    if (!dwfl_report_elf(impl_->dwfl, last_path.c_str(), last_path.c_str(), fd, static_cast<GElf_Addr>(m.start - m.offset),
                         false)) {
      close(fd);
    }
    return true;
  });
  if (dwfl_report_end(impl_->dwfl, nullptr, nullptr) != 0) {
    dwfl_end(impl_->dwfl);
    impl_->dwfl = nullptr;
  }
}

Symbolizer::~Symbolizer() {
  if (impl_->dwfl) dwfl_end(impl_->dwfl);
}

bool Symbolizer::ok() const { return impl_->dwfl != nullptr; }

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status == 0 && d != nullptr) {
    std::string out(d);
    std::free(d);
    return out;
  }
  return name;
}

Frame Symbolizer::lookup(uintptr_t pc, bool is_return_address) const {
  Frame f;
  f.pc = pc;
  if (!ok() || pc == 0) return f;
  Dwarf_Addr addr = is_return_address ? pc - 1 : pc;
  Dwfl_Module* mod = dwfl_addrmodule(impl_->dwfl, addr);
  if (mod == nullptr) return f;
  const char* modname = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (modname) f.module = modname;
  GElf_Off off = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(mod, addr, &off, &sym, nullptr, nullptr, nullptr);
  if (name) {
    f.function = demangle(name);
    f.offset = static_cast<uintptr_t>(off) + (is_return_address ? 1 : 0);
  }
  if (Dwfl_Line* line = dwfl_module_getsrc(mod, addr)) {
    int lineno = 0;
    const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file) {
      f.file = file;
      f.line = lineno;
    }
  }
  return f;
}

namespace {

bool has(const std::string& s, const char* p) { return s.find(p) != std::string::npos; }

}  // namespace

bool is_gleak_frame(const Frame& f) {
  if (f.function.rfind("gleak::", 0) == 0 || f.function.rfind("void gleak::", 0) == 0 || f.function == "make_fcontext" ||
      f.function == "jump_fcontext") {
    return true;
  }
  return has(f.file, "/include/gleak/") || has(f.function, "gleak::detail::") || has(f.function, "gleak::go<");
}

bool is_panic_machinery(const Frame& f) {
  const std::string& fn = f.function;
  auto starts = [&](const char* p) { return fn.rfind(p, 0) == 0; };
  return fn == "__cxa_throw" || fn == "__restore_rt" || starts("gleak::panic(") || starts("gleak::Panic::Panic(") ||
         starts("gleak::internal::") || starts("std::terminate") || starts("__cxxabiv1::") || starts("__gnu_cxx::__verbose_terminate");
}

bool is_std_plumbing(const Frame& f) { return has(f.file, "/c++/") || f.function.rfind("std::", 0) == 0; }

std::size_t creation_site(const std::vector<Frame>& chain) {
  std::size_t k = 0;
  while (k + 1 < chain.size() && (is_gleak_frame(chain[k]) || is_std_plumbing(chain[k]))) ++k;
  return k;
}

namespace {

// find_deepest() finds the most deeply nested function or inlined call in `die`'s
// subtree whose code ranges hold `a`.
void find_deepest(Dwarf_Die* die, Dwarf_Addr a, Dwarf_Die* best, int* best_depth, int depth) {
  Dwarf_Die child;
  if (dwarf_child(die, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) {
      if (dwarf_haspc(&child, a) == 1) {
        if (tag != DW_TAG_lexical_block && depth > *best_depth) {
          *best = child;
          *best_depth = depth;
        }
        find_deepest(&child, a, best, best_depth, depth + 1);
      } else if (tag == DW_TAG_subprogram) {
        find_deepest(&child, a, best, best_depth, depth + 1);  // may hold nested classes (lambdas)
      }
    } else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
               tag == DW_TAG_union_type) {
      find_deepest(&child, a, best, best_depth, depth + 1);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

std::string linkage_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, at, &attr) != nullptr) {
      if (const char* s = dwarf_formstring(&attr)) return demangle(s);
    }
  }
  return {};
}

// declaration_of() follows abstract_origin / specification links to the DIE that
// declares the function, which sits inside its namespaces and classes.
Dwarf_Die declaration_of(Dwarf_Die* die) {
  Dwarf_Die cur = *die;
  for (int i = 0; i < 4; ++i) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if ((dwarf_attr(&cur, DW_AT_abstract_origin, &attr) || dwarf_attr(&cur, DW_AT_specification, &attr)) &&
        dwarf_formref_die(&attr, &next) != nullptr) {
      cur = next;
    } else {
      break;
    }
  }
  return cur;
}

// scope_name() is the name of a namespace, class or function DIE qualified by the scopes
// around its declaration; an unnamed class holding an operator() is a lambda's closure.
std::string scope_name(Dwarf_Die* die, int depth) {
  Dwarf_Die decl = declaration_of(die);
  int tag = dwarf_tag(&decl);
  const char* own = dwarf_diename(&decl);
  std::string name = own ? own : (tag == DW_TAG_namespace ? "(anonymous namespace)" : "{lambda}");
  if (depth > 16) return name;
  Dwarf_Die* scopes = nullptr;
  int n = dwarf_getscopes_die(&decl, &scopes);
  std::string prefix;
  for (int i = 1; i < n; ++i) {
    int t = dwarf_tag(&scopes[i]);
    if (t == DW_TAG_namespace || t == DW_TAG_class_type || t == DW_TAG_structure_type || t == DW_TAG_union_type ||
        t == DW_TAG_subprogram) {
      // The enclosing scope's own declaration may sit elsewhere (a member function
      // defined out of line): name it by recursion.
      prefix = scope_name(&scopes[i], depth + 1);
      break;
    }
  }
  std::free(scopes);
  if (prefix.empty()) return name;
  if (name == "operator()" && prefix.size() >= 8 && prefix.compare(prefix.size() - 8, 8, "{lambda}") == 0) {
    return prefix;  // main::{lambda}, not main::{lambda}::operator()
  }
  return prefix + "::" + name;
}

// die_name() is the function's demangled linkage name or, for functions that have
// none (lambdas, static functions), its name qualified by the enclosing scopes.
std::string die_name(Dwarf_Die* die) {
  std::string linkage = linkage_name(die);
  if (!linkage.empty()) return linkage;
  return scope_name(die, 0);
}

}  // namespace

std::vector<Frame> Symbolizer::lookup_inlined(uintptr_t pc, bool is_return_address) const {
  Frame outer = lookup(pc, is_return_address);
  std::vector<Frame> out;
  if (!ok() || pc == 0) return {outer};
  Dwarf_Addr addr = is_return_address ? pc - 1 : pc;
  Dwfl_Module* mod = dwfl_addrmodule(impl_->dwfl, addr);
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = mod ? dwfl_module_addrdie(mod, addr, &bias) : nullptr;
  Dwarf_Die* scopes = nullptr;
  int n = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
  Dwarf_Die innermost;
  bool have_innermost = false;
  if (n > 0 && (dwarf_tag(&scopes[0]) == DW_TAG_inlined_subroutine || dwarf_tag(&scopes[0]) == DW_TAG_subprogram)) {
    Dwarf_Addr dwbias = 0;
    Dwarf* dw = dwfl_module_getdwarf(mod, &dwbias);
    have_innermost = dw != nullptr && dwarf_offdie(dw, dwarf_dieoffset(&scopes[0]), &innermost) != nullptr;
  }
  if (!have_innermost && cu != nullptr) {
    // dwarf_getscopes() only descends into DIEs whose ranges hold the address, so it
    // misses functions nested in another function's DIE (a lambda's operator() inside
    // main): search the whole unit for the deepest function that holds it.
    int depth = -1;
    find_deepest(cu, addr - bias, &innermost, &depth, 0);
    have_innermost = depth >= 0;
  }
  std::free(scopes);
  scopes = nullptr;
  n = 0;
  if (!have_innermost) return {outer};
  // dwarf_getscopes() stops at the innermost inlined call's abstract scope; the DIE's
  // own nesting (dwarf_getscopes_die) has the whole chain out to the function.
  {
    Dwarf_Die* nested = nullptr;
    int m = dwarf_getscopes_die(&innermost, &nested);
    if (m > 0) {
      std::free(scopes);
      scopes = nested;
      n = m;
    }
  }
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  dwarf_getsrcfiles(cu, &files, &nfiles);
  std::string file = outer.file;
  int line = outer.line;
  bool reached_function = false;
  for (int i = 0; i < n && !reached_function; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
    Frame f;
    f.pc = pc;
    f.module = outer.module;
    f.file = file;
    f.line = line;
    if (tag == DW_TAG_subprogram) {
      f.function = outer.function.empty() ? die_name(&scopes[i]) : outer.function;
      f.offset = outer.offset;
      out.push_back(std::move(f));
      reached_function = true;
      continue;
    }
    f.function = die_name(&scopes[i]);
    out.push_back(std::move(f));
    // The caller's position is where this inlined call was made.
    Dwarf_Attribute attr;
    Dwarf_Word w = 0;
    if (dwarf_attr(&scopes[i], DW_AT_call_file, &attr) && dwarf_formudata(&attr, &w) == 0 && files && w < nfiles) {
      const char* src = dwarf_filesrc(files, w, nullptr, nullptr);
      file = src ? src : "";
    }
    if (dwarf_attr(&scopes[i], DW_AT_call_line, &attr) && dwarf_formudata(&attr, &w) == 0) line = static_cast<int>(w);
  }
  std::free(scopes);
  if (!reached_function) {
    // libdw may list the compile unit right after the outermost inlined call, leaving
    // out the function it was inlined into: take that one from the ELF symbol table.
    Frame f = outer;
    f.file = file;
    f.line = line;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace gleak::symbolize
