// core/symbolize.cc — see core/symbolize.h.
#include "core/symbolize.h"

#include <cxxabi.h>
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

// die_name() is the function's demangled linkage name or, for functions that have
// none (lambdas, static functions), its name qualified by the enclosing scopes.
std::string die_name(Dwarf_Die* die) {
  std::string linkage = linkage_name(die);
  if (!linkage.empty()) return linkage;
  Dwarf_Die decl = declaration_of(die);
  std::vector<std::string> parts;
  Dwarf_Die* scopes = nullptr;
  int n = dwarf_getscopes_die(&decl, &scopes);
  for (int i = n - 1; i >= 1; --i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_namespace && tag != DW_TAG_class_type && tag != DW_TAG_structure_type &&
        tag != DW_TAG_union_type && tag != DW_TAG_subprogram) {
      continue;
    }
    Dwarf_Die scope_decl = declaration_of(&scopes[i]);
    const char* sn = dwarf_diename(&scope_decl);
    // An unnamed class holding an operator() is a lambda's closure type.
    parts.push_back(sn ? sn : (tag == DW_TAG_namespace ? "(anonymous namespace)" : "{lambda}"));
  }
  std::free(scopes);
  const char* own = dwarf_diename(&decl);
  parts.push_back(own ? own : "");
  std::string name;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "operator()" && i > 0 && parts[i - 1] == "{lambda}") continue;  // main::{lambda}
    if (!name.empty()) name += "::";
    name += parts[i];
  }
  return name;
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
  if (n <= 0) return {outer};
  // dwarf_getscopes() stops at the innermost inlined call's abstract scope; the DIE's
  // own nesting (dwarf_getscopes_die) has the whole chain out to the function.
  Dwarf_Die innermost;
  Dwarf_Addr dwbias = 0;
  Dwarf* dw = dwfl_module_getdwarf(mod, &dwbias);
  if (dw != nullptr && dwarf_offdie(dw, dwarf_dieoffset(&scopes[0]), &innermost) != nullptr) {
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
