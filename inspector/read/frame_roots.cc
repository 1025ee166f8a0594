// inspector/read/frame_roots.cc — see frame_roots.h. DWARF scopes, variables and CFI come
// from elfutils' libdw; the machine code of a frame's function is decoded with capstone
// to see which callee-saved registers its code still reads.
#include "inspector/read/frame_roots.h"

#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "arena/layout.h"
#include "symbolize/symbolize.h"
#include "inspector/read/memory_image.h"

namespace gleak::inspector {

namespace {

// The callee-saved registers a goroutine's saved context holds (rbp aside: it chains
// the frames): their DWARF numbers, context offsets and names.
constexpr int kSavedRegs = 5;
constexpr std::array<int, kSavedRegs> kDwarfReg = {3, 12, 13, 14, 15};
constexpr std::array<uint32_t, kSavedRegs> kContextOffset = {arena::kContextRbx, arena::kContextR12, arena::kContextR13,
                                                             arena::kContextR14, arena::kContextR15};
constexpr std::array<const char*, kSavedRegs> kRegName = {"rbx", "r12", "r13", "r14", "r15"};
constexpr std::size_t kMaxFrames = 1024;
// A saved register's value "as seen by" a frame lies in the stopped thread's register
// itself, not in a word of the stack (FrameRoots::classify_thread()).
constexpr uint64_t kInRegister = 1;
// Bytes at the bottom of a frame that may hold a running callee's stack arguments.
constexpr int64_t kOutgoingArgs = 64;

enum class RegUse : uint8_t { kUnknown, kLive, kDead };

// A CFI rule for one callee-saved register at a pc.
struct RegRule {
  enum Kind : uint8_t { kSame, kSaved, kOther } kind = kOther;
  int64_t cfa_offset = 0;  // kSaved: the caller's value lies at CFA + cfa_offset
};

// A variable's home slot relative to the frame's CFA.
struct Home {
  int64_t lo = 0, hi = 0;
  bool live = false;
  uint32_t note = 0;
};

struct Code;

// CondDead is a part of a live variable that the variable's own state says holds
// nothing: a disengaged std::optional's payload, the bytes of a std::variant beyond its
// active alternative, an empty std::function's callable. CFA-relative.
struct CondDead {
  enum Kind : uint8_t { kWhenZero, kVariant } kind = kWhenZero;
  int64_t flag = 0;       // the state: _M_engaged, _M_index, _M_manager
  uint8_t flag_size = 1;  // 1, 2, 4 or 8 bytes
  int64_t lo = 0, hi = 0; // kWhenZero: dead when the state is zero; kVariant: the storage
  std::vector<uint32_t> alternatives;  // kVariant: each alternative's size, by index
};

// Layout is what one pc (a return address) says about its frame.
struct Layout {
  bool cfa_is_rbp16 = false;  // CFA = rbp + 16: the frame-pointer chain gives its CFA
  // Any CFA = register + offset rule, rsp (7) or rbp (6); -1 for another kind. With the
  // return address at CFA - 8 and the caller's rbp's rule, a frame without a frame
  // pointer (the C library's) can be stepped over (FrameRoots::classify_thread()).
  int cfa_reg = -1;
  int64_t cfa_offset = 0;
  bool ra_at_cfa8 = false;
  RegRule rbp_rule;
  std::vector<Home> homes;
  std::array<RegRule, kSavedRegs> rules{};
  std::array<RegUse, kSavedRegs> use{};
  std::string function;
  bool holes_known = false;
  std::vector<int32_t> stale;  // CFA-relative words no path from the pc reads before overwriting
  uint32_t stale_note = 0;
  // CFA-relative objects whose address the function took, that no path from the pc
  // reads or takes again (unread_objects()): dead unless a pointer still reaches them.
  std::vector<std::pair<int32_t, int32_t>> unread;
  uint32_t unread_note = 0;
  std::vector<std::pair<int64_t, int64_t>> written;  // CFA-relative: what the function may write
  uint32_t hole_note = 0;
  std::vector<CondDead> conds;  // parts of in-scope variables that their state may empty
  uint32_t cond_note = 0;
  // Objects a member function in the frame works on at the pc (its `this`), outside
  // constructors and destructors: where their address lies (CFA-relative, or a
  // callee-saved register, index of kDwarfReg) and their type (FrameRoots::Impl::types).
  struct Object {
    int64_t cfa_off = 0;
    int reg = -1;
    uint32_t type = 0;
  };
  std::vector<Object> objects;
};

// Which capstone register ids are (parts of) each saved register.
int saved_index(unsigned reg) {
  switch (reg) {
    case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BL: case X86_REG_BH: return 0;
    case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B: return 1;
    case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B: return 2;
    case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B: return 3;
    case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B: return 4;
    default: return -1;
  }
}

// A full write replaces the whole register (a 32-bit write zero-extends); a partial
// one keeps the old bits, so it counts as a read.
bool full_width(unsigned reg) {
  switch (reg) {
    case X86_REG_RBX: case X86_REG_EBX: case X86_REG_R12: case X86_REG_R12D: case X86_REG_R13:
    case X86_REG_R13D: case X86_REG_R14: case X86_REG_R14D: case X86_REG_R15: case X86_REG_R15D:
      return true;
    default:
      return false;
  }
}

// Insn is one decoded instruction, reduced to what the register walk needs.
struct Insn {
  uint64_t next = 0;         // fall-through address
  uint64_t target = 0;       // direct branch target (0: none)
  uint8_t reads = 0;         // saved registers read (bit per kDwarfReg index)
  uint8_t kills = 0;         // saved registers fully overwritten without being read
  enum Flow : uint8_t { kNext, kJump, kCond, kStop, kRet, kGiveUp } flow = kNext;
  // Frame words (CFA-relative offsets, multiples of 8) it reads, or overwrites whole.
  std::vector<int32_t> slot_reads, slot_kills;
  // An indexed access to the frame (an array element, `-0x40(%rbp,%rsi,1)`): it may read
  // any word from this one up to the saved rbp (INT32_MAX: none).
  int32_t reads_from = INT32_MAX;
  // What of the frame it may write (CFA-relative ranges), and the frame address it
  // takes (lea; INT32_MAX: none): what unwritten_at() needs.
  std::vector<std::pair<int32_t, int32_t>> may_write;
  int32_t takes = INT32_MAX;
};

// Code is a function's decoded instructions, by address, and the parts of its frame
// it may write.
struct Code {
  uint64_t lo = 0, hi = 0;
  std::unordered_map<uint64_t, Insn> insns;
  bool ok = false;
  // CFA-relative ranges of its frame that some instruction may write, or whose address
  // it takes (a callee may write there); valid when frame_known. A word of the frame
  // outside all of them is never written by the function: whatever it holds was left
  // by an earlier, deeper call (padding, a hole): stale.
  bool frame_known = false;
  std::vector<std::pair<int64_t, int64_t>> writes;  // direct writes
  std::vector<int64_t> taken;                       // addresses taken (lea)
  std::vector<std::pair<int64_t, int64_t>> rsp_writes;  // writes relative to rsp (outgoing arguments)
  int64_t rsp_cfa = 0;                              // rsp in the body, relative to the CFA
  int pushes = 0;                                   // callee-saved registers pushed after rbp
  // The return addresses of its calls to functions that never return (noreturn_calls()):
  // what follows such a call is a landing pad or another block, not its continuation.
  std::unordered_set<uint64_t> noreturn_returns;
  bool noreturn_known = false;
  // The function's code is all in [lo, hi): no part elsewhere (a `.cold` part, where a
  // catch handler may write the frame and jump back), per its DWARF ranges.
  bool one_piece = false;
};

// FrameWrites follows a function's use of rsp and rbp while it is decoded.
struct FrameWrites {
  bool give_up = false;
  bool after_sub = false;   // the prologue's `sub $n, %rsp` was seen
  int pushes = 0;           // callee-saved registers pushed after rbp
  int64_t rsp_cfa = -16;    // rsp relative to the CFA once the prologue is done
  std::vector<std::pair<int64_t, int64_t>> writes;
  std::vector<int64_t> taken;  // CFA-relative addresses whose address is taken
  std::vector<std::pair<int64_t, int64_t>> rsp_writes;
};

bool frame_reg(unsigned r) { return r == X86_REG_RBP || r == X86_REG_RSP || r == X86_REG_EBP || r == X86_REG_ESP; }

// note_frame_operand() notes what a memory operand does to the frame; false when the
// frame can no longer be followed (fw.give_up is set).
bool note_frame_operand(unsigned id, const cs_x86_op& op, FrameWrites& fw, Insn& d) {
  unsigned base = op.mem.base;
  if (!frame_reg(base)) {
    if (frame_reg(op.mem.index)) fw.give_up = true;
    return true;
  }
  int64_t at = (base == X86_REG_RBP || base == X86_REG_EBP) ? -16 + op.mem.disp : fw.rsp_cfa + op.mem.disp;
  if (base != X86_REG_RBP && base != X86_REG_EBP && !fw.after_sub && fw.pushes == 0) {
    fw.give_up = true;  // rsp-relative before the frame is known
    return false;
  }
  if (op.mem.index != X86_REG_INVALID) {
    // An element of an array in the frame, at an index known only at run time. The
    // array lies at or above the displacement (an element below the array's start is
    // undefined behaviour; a constant offset folded into the displacement only lowers
    // it) and below the saved rbp. So the access may read, or partly write, any word
    // from there up; it overwrites none for certain. An address computed that way
    // (lea) escapes to words the analysis cannot bound: give up.
    if (id == X86_INS_LEA || at >= -16) {
      fw.give_up = true;
      return false;
    }
    d.reads_from = std::min<int32_t>(d.reads_from, static_cast<int32_t>(at & ~int64_t{7}));
    if (op.access & CS_AC_WRITE) {
      fw.writes.emplace_back(at, -16);  // an array element, not an outgoing argument
      d.may_write.emplace_back(static_cast<int32_t>(at), -16);
    }
    return true;
  }
  int64_t size = op.size ? op.size : 8;
  if (id == X86_INS_LEA) {
    fw.taken.push_back(at);
    d.takes = static_cast<int32_t>(at);
    return true;
  }
  if (op.access & CS_AC_WRITE) {
    fw.writes.emplace_back(at, at + size);
    d.may_write.emplace_back(static_cast<int32_t>(at), static_cast<int32_t>(at + size));
    if (base != X86_REG_RBP && base != X86_REG_EBP) fw.rsp_writes.emplace_back(at, at + size);
  }
  // Per word: a read, or a whole overwrite (a partial one leaves old bytes: a read).
  for (int64_t w = at & ~int64_t{7}; w < at + size; w += 8) {
    bool whole = at <= w && w + 8 <= at + size;
    if ((op.access & CS_AC_READ) || !whole) {
      d.slot_reads.push_back(static_cast<int32_t>(w));
    } else if (op.access & CS_AC_WRITE) {
      d.slot_kills.push_back(static_cast<int32_t>(w));
    }
  }
  return true;
}

void note_frame_use(const cs_insn* insn, FrameWrites& fw, Insn& d) {
  const cs_x86& x = insn->detail->x86;
  unsigned id = insn->id;
  if (id == X86_INS_PUSH) {
    if (fw.after_sub) fw.give_up = true;  // rsp moves in the body: rsp-relative offsets unknown
    if (x.op_count == 1 && x.operands[0].type == X86_OP_REG && x.operands[0].reg == X86_REG_RBP) return;
    ++fw.pushes;
    fw.rsp_cfa = -16 - 8 * fw.pushes;
    fw.writes.emplace_back(fw.rsp_cfa, fw.rsp_cfa + 8);
    d.may_write.emplace_back(static_cast<int32_t>(fw.rsp_cfa), static_cast<int32_t>(fw.rsp_cfa + 8));
    return;
  }
  if (id == X86_INS_POP || id == X86_INS_RET || id == X86_INS_CALL || id == X86_INS_LEAVE || id == X86_INS_NOP) return;
  if (id == X86_INS_SUB && x.op_count == 2 && x.operands[0].type == X86_OP_REG && x.operands[0].reg == X86_REG_RSP &&
      x.operands[1].type == X86_OP_IMM) {
    if (fw.after_sub) {
      fw.give_up = true;
      return;
    }
    fw.after_sub = true;
    fw.rsp_cfa -= x.operands[1].imm;
    return;
  }
  if (id == X86_INS_ADD && x.op_count == 2 && x.operands[0].type == X86_OP_REG && x.operands[0].reg == X86_REG_RSP) return;
  if (id == X86_INS_MOV && x.op_count == 2 && x.operands[0].type == X86_OP_REG && x.operands[0].reg == X86_REG_RBP &&
      x.operands[1].type == X86_OP_REG && x.operands[1].reg == X86_REG_RSP) {
    return;  // mov %rsp, %rbp: the frame pointer is set up
  }
  if (id == X86_INS_LEA && x.op_count == 2 && x.operands[0].type == X86_OP_REG && x.operands[0].reg == X86_REG_RSP) {
    return;  // the epilogue's lea -n(%rbp), %rsp
  }
  for (uint8_t i = 0; i < x.op_count; ++i) {
    const cs_x86_op& op = x.operands[i];
    if (op.type == X86_OP_REG && frame_reg(op.reg)) {
      fw.give_up = true;  // rsp or rbp copied or computed with: a frame address escapes
      return;
    }
    if (op.type == X86_OP_MEM && !note_frame_operand(id, op, fw, d)) return;
  }
  // String stores write through rdi, which an lea of the frame set up: taken already.
}

void finish_frame(FrameWrites& fw, Code& out) {
  if (fw.give_up) return;
  out.writes = std::move(fw.writes);
  out.taken = std::move(fw.taken);
  out.rsp_writes = std::move(fw.rsp_writes);
  out.rsp_cfa = fw.rsp_cfa;
  out.pushes = fw.pushes;
  std::sort(out.taken.begin(), out.taken.end());
  out.frame_known = true;
}

// written() is what of a frame its function may write: its direct writes, and for each
// address it takes, the variable there (its DWARF home), or else everything from it up
// to the next address taken or variable (a callee fills an object whose size the code
// does not say), at most to the saved rbp.
// HomeRange is a slot some variable lives in (single: for its whole scope; else for a
// range of a location list), CFA-relative.
struct HomeRange {
  int64_t lo = 0, hi = 0;
  bool single = false;
};

// taken_range() is what an address taken at t may reach: the variable there (one that
// lives there for its whole scope first, the smallest first), or else everything from
// t up to the next address taken or variable.
std::pair<int64_t, int64_t> taken_range(int64_t t, int64_t next, const std::vector<HomeRange>& homes) {
  const HomeRange* best = nullptr;
  for (const HomeRange& h : homes) {
    if (t < h.lo || t >= h.hi) continue;
    if (!best || (h.single && !best->single) ||
        (h.single == best->single && h.hi - h.lo < best->hi - best->lo)) {
      best = &h;
    }
  }
  if (best) return {best->lo, best->hi};
  int64_t end = next;
  for (const HomeRange& h : homes) {
    if (h.lo > t && h.lo < end) end = h.lo;
  }
  return {t, std::max(end, t + 8)};
}

// merged_ranges() sorts [lo, hi) ranges and merges those that overlap (and, with
// adjacent, those that touch).
template <class T>
std::vector<std::pair<T, T>> merged_ranges(std::vector<std::pair<T, T>> in, bool adjacent) {
  std::sort(in.begin(), in.end());
  std::vector<std::pair<T, T>> out;
  for (const auto& r : in) {
    if (!out.empty() && (r.first < out.back().second || (adjacent && r.first == out.back().second))) {
      out.back().second = std::max(out.back().second, r.second);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<std::pair<int64_t, int64_t>> written(const Code& c, const std::vector<HomeRange>& homes) {
  std::vector<std::pair<int64_t, int64_t>> w = c.writes;
  for (std::size_t i = 0; i < c.taken.size(); ++i) {
    w.push_back(taken_range(c.taken[i], i + 1 < c.taken.size() ? c.taken[i + 1] : -16, homes));
  }
  return merged_ranges(std::move(w), true);
}

bool decode_function(csh cs, const unsigned char* bytes, uint64_t lo, uint64_t hi, Code& out) {
  out.lo = lo;
  out.hi = hi;
  const uint8_t* p = bytes;
  size_t size = hi - lo;
  uint64_t addr = lo;
  cs_insn* insn = cs_malloc(cs);
  if (!insn) return false;
  FrameWrites fw;
  while (size > 0) {
    if (!cs_disasm_iter(cs, &p, &size, &addr, insn)) break;
    Insn d;
    note_frame_use(insn, fw, d);
    d.next = insn->address + insn->size;
    cs_regs rr, ww;
    uint8_t nr = 0, nw = 0;
    if (cs_regs_access(cs, insn, rr, &nr, ww, &nw) != CS_ERR_OK) {
      d.flow = Insn::kGiveUp;
    }
    const cs_x86& x = insn->detail->x86;
    bool zero_idiom = (insn->id == X86_INS_XOR || insn->id == X86_INS_SUB) && x.op_count == 2 &&
                      x.operands[0].type == X86_OP_REG && x.operands[1].type == X86_OP_REG &&
                      x.operands[0].reg == x.operands[1].reg;
    for (uint8_t i = 0; i < nr; ++i) {
      int k = saved_index(rr[i]);
      if (k >= 0 && !zero_idiom) d.reads |= uint8_t(1u << k);
    }
    for (uint8_t i = 0; i < nw; ++i) {
      int k = saved_index(ww[i]);
      if (k < 0) continue;
      if (full_width(ww[i])) {
        d.kills |= uint8_t(1u << k);
      } else {
        d.reads |= uint8_t(1u << k);
      }
    }
    bool direct = x.op_count == 1 && x.operands[0].type == X86_OP_IMM;
    switch (insn->id) {
      case X86_INS_RET: case X86_INS_RETF:
        d.flow = Insn::kRet;
        break;
      case X86_INS_JMP:
        if (direct) {
          d.flow = Insn::kJump;
          d.target = static_cast<uint64_t>(x.operands[0].imm);
        } else {
          d.flow = Insn::kGiveUp;  // a jump table or a tail call: not followed
        }
        break;
      case X86_INS_HLT: case X86_INS_UD2: case X86_INS_INT3:
        d.flow = Insn::kStop;
        break;
      default:
        if (cs_insn_group(cs, insn, CS_GRP_JUMP)) {
          if (direct) {
            d.flow = Insn::kCond;
            d.target = static_cast<uint64_t>(x.operands[0].imm);
          } else {
            d.flow = Insn::kGiveUp;
          }
        }
        break;
    }
    if (zero_idiom) {
      int k = x.operands[0].type == X86_OP_REG ? saved_index(x.operands[0].reg) : -1;
      if (k >= 0 && full_width(x.operands[0].reg)) d.kills |= uint8_t(1u << k);
    }
    out.insns.emplace(insn->address, d);
  }
  cs_free(insn, 1);
  out.ok = addr == hi;
  if (out.ok) finish_frame(fw, out);
  return out.ok;
}

// walk_use() walks every path from pc through the function's code: live if some path
// reaches an instruction that reads() before one that kills(), dead if none does, unknown
// if a path leaves what can be followed. A return ends a path when ret_ends is set, and
// makes the answer unknown otherwise.
template <class Reads, class Kills>
RegUse walk_use(const Code& code, uint64_t pc, Reads reads, Kills kills, bool ret_ends) {
  if (!code.ok) return RegUse::kUnknown;
  std::vector<uint64_t> todo{pc};
  std::unordered_set<uint64_t> seen;
  while (!todo.empty()) {
    uint64_t a = todo.back();
    todo.pop_back();
    if (!seen.insert(a).second) continue;
    if (seen.size() > 20000) return RegUse::kUnknown;
    auto it = code.insns.find(a);
    if (it == code.insns.end()) return RegUse::kUnknown;  // outside the function, or mid-instruction
    const Insn& d = it->second;
    if (reads(d)) return RegUse::kLive;
    if (kills(d)) continue;
    switch (d.flow) {
      case Insn::kNext:
        // A call returns here with callee-saved registers intact; a call that never
        // returns (the debug information says so, or it is the function's last
        // instruction) ends the path.
        if (d.next < code.hi && !code.noreturn_returns.count(d.next)) todo.push_back(d.next);
        break;
      case Insn::kJump:
        todo.push_back(d.target);
        break;
      case Insn::kCond:
        todo.push_back(d.target);
        todo.push_back(d.next);
        break;
      case Insn::kStop:
        break;
      case Insn::kRet:
        if (ret_ends) break;
        return RegUse::kUnknown;
      case Insn::kGiveUp:  // a jump table, a tail call: not followed
        return RegUse::kUnknown;
    }
  }
  return RegUse::kDead;
}

// reg_use() is walk_use() for each saved register. Returning with one not restored would
// hand it to the caller: never the case for a register this frame saved, but be safe.
std::array<RegUse, kSavedRegs> reg_use(const Code& code, uint64_t pc) {
  std::array<RegUse, kSavedRegs> use{};
  for (int k = 0; k < kSavedRegs; ++k) {
    uint8_t bit = uint8_t(1u << k);
    use[k] = walk_use(
        code, pc, [bit](const Insn& d) { return (d.reads & bit) != 0; },
        [bit](const Insn& d) { return (d.kills & bit) != 0; }, false);
  }
  return use;
}

// slot_use() is walk_use() for one word of the frame (CFA-relative offset w); a return
// ends the frame, whose words are read no more.
RegUse slot_use(const Code& code, uint64_t pc, int32_t w) {
  auto has = [w](const std::vector<int32_t>& v) { return std::find(v.begin(), v.end(), w) != v.end(); };
  return walk_use(
      code, pc, [&](const Insn& d) { return w >= d.reads_from || has(d.slot_reads); },
      [&](const Insn& d) { return has(d.slot_kills); }, true);
}

// successors() are where control goes after d, as walk_use() follows it; false when that
// is not known (a jump table, a tail call).
bool successors(const Code& code, const Insn& d, uint64_t out[2], int* n) {
  *n = 0;
  switch (d.flow) {
    case Insn::kNext:
      if (d.next < code.hi && !code.noreturn_returns.count(d.next)) out[(*n)++] = d.next;
      return true;
    case Insn::kJump: out[(*n)++] = d.target; return true;
    case Insn::kCond:
      out[(*n)++] = d.target;
      out[(*n)++] = d.next;
      return true;
    case Insn::kStop: case Insn::kRet: return true;
    case Insn::kGiveUp: return false;
  }
  return false;
}

// unwritten_at() are the words of the frame (CFA-relative) that nothing on any path from
// the function's entry to pc can have written: no instruction on such a path writes them
// or takes an address that reaches them (a callee could write there), and no code
// outside the normal flow (a landing pad, entered by the unwinder) writes them either.
// What they hold was left by an earlier call: this activation never stored it, so it
// never reads it as a value of its own. Empty when the function's control flow is not
// wholly known (an indirect jump, a jump out of it, a part elsewhere).
std::vector<int32_t> unwritten_at(const Code& c, uint64_t pc, const std::vector<HomeRange>& homes) {
  std::vector<int32_t> out;
  if (!c.ok || !c.one_piece || !c.frame_known || !c.insns.count(pc)) return out;
  // Forward from the entry, and the predecessors of every instruction.
  std::unordered_set<uint64_t> from_entry;
  std::unordered_map<uint64_t, std::vector<uint64_t>> preds;
  std::vector<uint64_t> todo{c.lo};
  while (!todo.empty()) {
    uint64_t a = todo.back();
    todo.pop_back();
    if (!from_entry.insert(a).second) continue;
    auto it = c.insns.find(a);
    if (it == c.insns.end()) return out;  // leaves the function, or lands mid-instruction
    uint64_t succ[2];
    int n = 0;
    if (!successors(c, it->second, succ, &n)) return out;
    for (int k = 0; k < n; ++k) {
      preds[succ[k]].push_back(a);
      todo.push_back(succ[k]);
    }
  }
  if (!from_entry.count(pc)) return out;
  // Backward from pc: the instructions on a path from the entry to pc.
  std::unordered_set<uint64_t> on_path;
  todo.assign(1, pc);
  while (!todo.empty()) {
    uint64_t a = todo.back();
    todo.pop_back();
    for (uint64_t p : preds[a]) {
      if (on_path.insert(p).second) todo.push_back(p);
    }
  }
  // What they, and every instruction the normal flow never reaches, may write.
  std::vector<std::pair<int64_t, int64_t>> written;
  for (const auto& [a, d] : c.insns) {
    if (from_entry.count(a) && !on_path.count(a)) continue;
    for (const auto& [lo, hi] : d.may_write) written.emplace_back(lo, hi);
    if (d.takes != INT32_MAX) {
      auto next = std::upper_bound(c.taken.begin(), c.taken.end(), static_cast<int64_t>(d.takes));
      written.push_back(taken_range(d.takes, next == c.taken.end() ? -16 : *next, homes));
    }
  }
  int64_t top = -16 - 8 * static_cast<int64_t>(c.pushes);
  for (int64_t w = c.rsp_cfa & ~int64_t{7}; w + 8 <= top; w += 8) {
    bool hit = false;
    for (const auto& [lo, hi] : written) hit = hit || (w < hi && w + 8 > lo);
    if (!hit) out.push_back(static_cast<int32_t>(w));
  }
  return out;
}

// stale_words() are the words of the frame whose content is dead at pc: no path from pc
// reads them before overwriting them. Left out: words whose address the function takes
// (a callee may read them), its outgoing arguments (a callee that runs reads them), and
// its callee-saved register slots (the caller's values: see the register rules).
std::vector<int32_t> stale_words(const Code& c, uint64_t pc, const std::vector<HomeRange>& homes) {
  std::vector<int32_t> out;
  if (!c.frame_known || c.rsp_cfa >= 0 || c.rsp_cfa < -(1 << 16)) return out;
  // Outgoing arguments lie at the bottom of the frame: a callee that still runs reads
  // its stack-passed arguments there (those its debug information describes are live
  // slots of its own frame too, see classify_stack()).
  std::vector<std::pair<int64_t, int64_t>> keep;
  for (const auto& [lo, hi] : c.rsp_writes) {
    if (lo < c.rsp_cfa + kOutgoingArgs) keep.emplace_back(lo, hi);
  }
  for (std::size_t i = 0; i < c.taken.size(); ++i) {
    keep.push_back(taken_range(c.taken[i], i + 1 < c.taken.size() ? c.taken[i + 1] : -16, homes));
  }
  int64_t top = -16 - 8 * static_cast<int64_t>(c.pushes);
  for (int64_t w = c.rsp_cfa & ~int64_t{7}; w + 8 <= top; w += 8) {
    bool kept = false;
    for (const auto& [lo, hi] : keep) kept = kept || (w < hi && w + 8 > lo);
    if (kept) continue;
    if (slot_use(c, pc, static_cast<int32_t>(w)) == RegUse::kDead) out.push_back(static_cast<int32_t>(w));
  }
  // And, whatever comes after pc, the words this activation has not written yet.
  std::vector<int32_t> unwritten = unwritten_at(c, pc, homes);
  out.insert(out.end(), unwritten.begin(), unwritten.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// unread_objects() are the objects of the frame whose address the function takes (a
// temporary passed by reference, an object whose member function was called) that no
// path from pc reads before overwriting, and whose address no path from pc takes again
// (for a destructor, say). The frame's own code is done with them; only a pointer taken
// earlier and kept somewhere could still reach them, which the leak analysis checks
// against the whole memory image (StackRoots::unread). Outgoing arguments are left out:
// a callee that still runs reads them.
std::vector<std::pair<int32_t, int32_t>> unread_objects(const Code& c, uint64_t pc,
                                                        const std::vector<HomeRange>& homes) {
  std::vector<std::pair<int32_t, int32_t>> out;
  if (!c.frame_known || c.rsp_cfa >= 0 || c.rsp_cfa < -(1 << 16)) return out;
  int64_t top = -16 - 8 * static_cast<int64_t>(c.pushes);
  std::vector<std::pair<int64_t, int64_t>> args;
  for (const auto& [lo, hi] : c.rsp_writes) {
    if (lo < c.rsp_cfa + kOutgoingArgs) args.emplace_back(lo, hi);
  }
  auto range_of = [&](int64_t t) {
    auto next = std::upper_bound(c.taken.begin(), c.taken.end(), t);
    return taken_range(t, next == c.taken.end() ? -16 : *next, homes);
  };
  for (std::size_t i = 0; i < c.taken.size(); ++i) {
    if (i > 0 && c.taken[i] == c.taken[i - 1]) continue;
    std::pair<int64_t, int64_t> range = range_of(c.taken[i]);  // plain variables: lambdas below capture them
    int64_t lo = range.first & ~int64_t{7};
    int64_t hi = std::min((range.second + 7) & ~int64_t{7}, top);  // locals lie below the pushed registers
    if (lo < c.rsp_cfa || lo >= hi || hi - lo > 4096) continue;
    bool arg = false;
    for (const auto& [a, b] : args) arg = arg || (lo < b && hi > a);
    if (arg) continue;
    auto retaken = [&](const Insn& d) {
      if (d.takes == INT32_MAX) return false;
      auto [tlo, thi] = range_of(d.takes);
      return tlo < hi && thi > lo;
    };
    bool unread = true;
    for (int64_t w = lo; w < hi && unread; w += 8) {
      int32_t w32 = static_cast<int32_t>(w);
      auto has = [w32](const std::vector<int32_t>& v) { return std::find(v.begin(), v.end(), w32) != v.end(); };
      unread = walk_use(
                   c, pc, [&](const Insn& d) { return w32 >= d.reads_from || has(d.slot_reads) || retaken(d); },
                   [&](const Insn& d) { return has(d.slot_kills); }, true) == RegUse::kDead;
    }
    if (unread) out.emplace_back(lo, hi);
  }
  // Two addresses taken in one object give two views of it: one object.
  return merged_ranges(std::move(out), false);
}

// CFA-relative address that a CFI location expression computes, if it is one.
bool cfa_relative(const Dwarf_Op* ops, size_t n, int64_t* off) {
  if (n == 0 || ops[0].atom != DW_OP_call_frame_cfa) return false;
  int64_t v = 0;
  std::vector<int64_t> stack;
  for (size_t i = 1; i < n; ++i) {
    switch (ops[i].atom) {
      case DW_OP_plus_uconst: v += static_cast<int64_t>(ops[i].number); break;
      case DW_OP_consts: case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s:
        stack.push_back(static_cast<int64_t>(ops[i].number));
        break;
      case DW_OP_constu: case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
        stack.push_back(static_cast<int64_t>(ops[i].number));
        break;
      case DW_OP_plus:
        if (stack.empty()) return false;
        v += stack.back();
        stack.pop_back();
        break;
      case DW_OP_minus:
        if (stack.empty()) return false;
        v -= stack.back();
        stack.pop_back();
        break;
      default:
        return false;
    }
  }
  if (!stack.empty()) return false;
  *off = v;
  return true;
}

// Stack slots are exclusive to one variable only when the compiler shares none: GCC
// with -fstack-reuse=none, or without optimisation (the last -O option, or none).
bool slots_exclusive(Dwarf_Die* cu) {
  Dwarf_Attribute a;
  const char* producer = dwarf_formstring(dwarf_attr_integrate(cu, DW_AT_producer, &a));
  if (!producer) return false;
  std::string p = producer;
  if (p.rfind("GNU ", 0) != 0) return false;  // another compiler: its slot sharing is not known
  if (p.find("-fstack-reuse=none") != std::string::npos) return true;
  std::size_t o = p.rfind(" -O");
  return o == std::string::npos || p.compare(o, 4, " -O0") == 0;
}

// Where a variable is declared, for notes: "declared at file.cc:12".
std::string declared_at(Dwarf_Die* var) {
  const char* file = dwarf_decl_file(var);
  int line = 0;
  if (!file || dwarf_decl_line(var, &line) != 0) return "";
  std::string f = file;
  if (auto s = f.rfind('/'); s != std::string::npos) f = f.substr(s + 1);
  return "declared at " + f + ":" + std::to_string(line);
}

// One lexical scope's lines, for notes: "file.cc:12-30".
std::string scope_lines(Dwarf_Die* scope) {
  Dwarf_Addr lo = 0, hi = 0;
  if (dwarf_lowpc(scope, &lo) != 0 || dwarf_highpc(scope, &hi) != 0) {
    Dwarf_Addr base, start, end;
    ptrdiff_t off = 0;
    bool any = false;
    while ((off = dwarf_ranges(scope, off, &base, &start, &end)) > 0) {
      if (!any || start < lo) lo = start;
      if (!any || end > hi) hi = end;
      any = true;
    }
    if (!any) return "";
  }
  Dwarf_Die cu;
  if (!dwarf_diecu(scope, &cu, nullptr, nullptr)) return "";
  Dwarf_Line* l1 = dwarf_getsrc_die(&cu, lo);
  Dwarf_Line* l2 = dwarf_getsrc_die(&cu, hi > lo ? hi - 1 : lo);
  if (!l1) return "";
  const char* file = dwarf_linesrc(l1, nullptr, nullptr);
  int a = 0, b = 0;
  dwarf_lineno(l1, &a);
  if (l2) dwarf_lineno(l2, &b);
  std::string f = file ? file : "?";
  if (auto s = f.rfind('/'); s != std::string::npos) f = f.substr(s + 1);
  char lines[48];
  if (b > a) {
    std::snprintf(lines, sizeof lines, ":%d-%d", a, b);
  } else {
    std::snprintf(lines, sizeof lines, ":%d", a);
  }
  return f + lines;
}

// never_returns() says whether the function a DIE declares or defines is noreturn
// (`[[noreturn]]`, `__attribute__((noreturn))`: std::__throw_length_error, abort, ...).
bool never_returns(Dwarf_Die* d) {
  Dwarf_Attribute a;
  bool flag = false;
  return dwarf_attr_integrate(d, DW_AT_noreturn, &a) != nullptr && dwarf_formflag(&a, &flag) == 0 && flag;
}

// noreturn_calls() records in c the return addresses of fn's calls (its own and its
// inlined functions') to functions that never return, from the call sites the debug
// information lists (DW_TAG_call_site, emitted by GCC when it optimises). The code that
// follows such a call is entered only by the unwinder, if at all.
void noreturn_calls(Dwarf_Die* fn, Dwarf_Addr bias, Code& c) {
  c.noreturn_known = true;
  std::vector<Dwarf_Die> todo;
  Dwarf_Die child;
  if (dwarf_child(fn, &child) == 0) todo.push_back(child);
  std::size_t visited = 0;
  while (!todo.empty() && ++visited < 1000000) {
    Dwarf_Die d = todo.back();
    todo.pop_back();
    Dwarf_Die sib;
    if (dwarf_siblingof(&d, &sib) == 0) todo.push_back(sib);
    int tag = dwarf_tag(&d);
    if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
      Dwarf_Attribute a;
      Dwarf_Addr ret = 0;
      bool have_ret = (dwarf_attr(&d, DW_AT_call_return_pc, &a) && dwarf_formaddr(&a, &ret) == 0) ||
                      (dwarf_attr(&d, DW_AT_low_pc, &a) && dwarf_formaddr(&a, &ret) == 0);
      Dwarf_Die origin;
      bool have_origin = (dwarf_attr(&d, DW_AT_call_origin, &a) || dwarf_attr(&d, DW_AT_abstract_origin, &a)) &&
                         dwarf_formref_die(&a, &origin) != nullptr;
      if (have_ret && have_origin && never_returns(&origin)) c.noreturn_returns.insert(ret + bias);
      continue;  // a call site's children are its parameters
    }
    if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
      if (dwarf_child(&d, &child) == 0) todo.push_back(child);
    }
  }
}

// in_one_piece() says whether the function's DWARF ranges all lie within the code that
// was decoded (the symbol's): no `.cold` part elsewhere.
bool in_one_piece(Dwarf_Die* fn, Dwarf_Addr bias, const Code& c) {
  Dwarf_Addr base = 0, start = 0, end = 0;
  ptrdiff_t off = 0;
  int ranges = 0;
  while ((off = dwarf_ranges(fn, off, &base, &start, &end)) > 0) {
    ++ranges;
    if (start + bias < c.lo || end + bias > c.hi) return false;
  }
  return off == 0 && ranges > 0;
}

// cfi_rules() reads the frame's CFI at pc into L: where the CFA is and where the
// caller's registers were saved. False when there is none.
bool cfi_rules(Dwfl_Module* mod, uint64_t pc, Layout& L) {
  Dwarf_Addr cfi_bias = 0;
  Dwarf_CFI* cfi = dwfl_module_eh_cfi(mod, &cfi_bias);
  if (!cfi) cfi = dwfl_module_dwarf_cfi(mod, &cfi_bias);
  Dwarf_Frame* frame = nullptr;
  if (!cfi || dwarf_cfi_addrframe(cfi, pc - cfi_bias, &frame) != 0 || !frame) return false;
  Dwarf_Op* cfa_ops = nullptr;
  size_t ncfa = 0;
  if (dwarf_frame_cfa(frame, &cfa_ops, &ncfa) == 0 && ncfa == 1 && cfa_ops[0].atom == DW_OP_bregx &&
      (cfa_ops[0].number == 6 || cfa_ops[0].number == 7)) {
    L.cfa_reg = static_cast<int>(cfa_ops[0].number);
    L.cfa_offset = static_cast<int64_t>(cfa_ops[0].number2);
    L.cfa_is_rbp16 = L.cfa_reg == 6 && L.cfa_offset == 16;
  }
  auto rule = [&](int reg) {
    RegRule r;
    Dwarf_Op mem[3];
    Dwarf_Op* ops = nullptr;
    size_t n = 0;
    if (dwarf_frame_register(frame, reg, mem, &ops, &n) != 0) return r;
    int64_t off = 0;
    if (n == 0 && ops == nullptr) {
      r.kind = RegRule::kSame;
    } else if (n == 0 && reg == 3) {
      // "Undefined": what libdw says of an rbx the CFI does not mention, as its x86-64
      // ABI defaults name register 0 (rax) where they mean rbx. rbx is callee-saved:
      // a frame whose CFI says nothing of it leaves it alone.
      r.kind = RegRule::kSame;
    } else if (n > 0 && cfa_relative(ops, n, &off)) {
      r = {RegRule::kSaved, off};
    }
    return r;
  };
  for (int k = 0; k < kSavedRegs; ++k) L.rules[k] = rule(kDwarfReg[k]);
  L.rbp_rule = rule(6);
  RegRule ra = rule(16);
  L.ra_at_cfa8 = ra.kind == RegRule::kSaved && ra.cfa_offset == -8;
  free(frame);
  return true;
}

// concrete_function() finds the out-of-line function (DW_TAG_subprogram with code)
// whose ranges hold pc, at any depth of the unit (member functions of local classes
// nest in their enclosing function).
bool concrete_function(Dwarf_Die* cu, Dwarf_Addr pc, Dwarf_Die* out) {
  std::vector<Dwarf_Die> todo;
  Dwarf_Die child;
  if (dwarf_child(cu, &child) == 0) todo.push_back(child);
  std::size_t visited = 0;
  while (!todo.empty() && ++visited < 2000000) {
    Dwarf_Die d = todo.back();
    todo.pop_back();
    Dwarf_Die sib;
    if (dwarf_siblingof(&d, &sib) == 0) todo.push_back(sib);
    int tag = dwarf_tag(&d);
    if (tag == DW_TAG_subprogram && dwarf_haspc(&d, pc) == 1) {
      *out = d;
      return true;
    }
    // Functions nest in namespaces, classes and (local classes) other functions.
    if (tag == DW_TAG_namespace || tag == DW_TAG_subprogram || tag == DW_TAG_class_type ||
        tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_lexical_block) {
      Dwarf_Die c;
      if (dwarf_child(&d, &c) == 0) todo.push_back(c);
    }
  }
  return false;
}

std::string die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute a;
  const char* link = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
  if (!link) link = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
  if (link) return symbolize::demangle(link);
  const char* n = dwarf_diename(die);
  return n ? n : "?";
}

uint64_t type_size(Dwarf_Die* var) {
  Dwarf_Attribute a;
  Dwarf_Die type;
  if (!dwarf_attr_integrate(var, DW_AT_type, &a) || !dwarf_formref_die(&a, &type)) return 8;
  Dwarf_Word size = 0;
  if (dwarf_aggregate_size(&type, &size) != 0 || size == 0) return 8;
  return std::min<Dwarf_Word>(size, 1u << 20);
}

// ---- A live variable's parts that its own state says are empty (libstdc++'s layouts) ----

// strip() follows typedefs and cv-qualifiers to the type itself.
bool strip(Dwarf_Die* type) {
  for (int n = 0; n < 16; ++n) {
    int tag = dwarf_tag(type);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type) return true;
    Dwarf_Attribute a;
    if (!dwarf_attr_integrate(type, DW_AT_type, &a) || !dwarf_formref_die(&a, type)) return false;
  }
  return false;
}

bool type_of(Dwarf_Die* die, Dwarf_Die* out) {
  Dwarf_Attribute a;
  return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, out) && strip(out);
}

// A member's (or base class's) offset in its struct, when it is a constant.
bool member_offset(Dwarf_Die* m, int64_t* off) {
  Dwarf_Attribute a;
  Dwarf_Word v = 0;
  if (!dwarf_attr(m, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &v) != 0) return false;
  *off = static_cast<int64_t>(v);
  return true;
}

// member() finds the data member `name` of struct s: its offset, size and type.
bool member(Dwarf_Die* s, const char* name, int64_t* off, uint64_t* size, Dwarf_Die* type) {
  Dwarf_Die c;
  if (dwarf_child(s, &c) != 0) return false;
  do {
    const char* n = dwarf_diename(&c);
    if (dwarf_tag(&c) != DW_TAG_member || !n || std::strcmp(n, name) != 0) continue;
    Dwarf_Word sz = 0;
    if (dwarf_tag(s) == DW_TAG_union_type) {
      *off = 0;  // a union's members carry no offset
    } else if (!member_offset(&c, off)) {
      return false;
    }
    if (!type_of(&c, type) || dwarf_aggregate_size(type, &sz) != 0) return false;
    *size = sz;
    return true;
  } while (dwarf_siblingof(&c, &c) == 0);
  return false;
}

bool starts(const char* name, const char* prefix) {
  return name && std::strncmp(name, prefix, std::strlen(prefix)) == 0;
}

// variant_alternatives() lists the sizes of a _Variadic_union<T0, T1, …>'s alternatives:
// _M_first (an _Uninitialized<T0>) and _M_rest (the union of the others).
bool variant_alternatives(Dwarf_Die u, std::vector<uint32_t>& out) {
  for (int n = 0; n < 64; ++n) {
    int64_t off = 0;
    uint64_t size = 0;
    Dwarf_Die first, rest;
    if (!member(&u, "_M_first", &off, &size, &first)) return n > 0 || dwarf_haschildren(&u) == 0;
    out.push_back(static_cast<uint32_t>(size));
    if (!member(&u, "_M_rest", &off, &size, &rest)) return true;
    u = rest;
  }
  return false;
}

// empty_part() is the part of [lo, hi) that an object's state word says holds nothing:
// all of it when an optional's engaged flag or a function's manager is zero (not
// `variant`); for a variant (`state` its index), what lies past the active
// alternative, or all of it when it is valueless (index all ones). Whole words only:
// a word that holds a byte of the live part stays a root. False when nothing is empty.
bool empty_part(bool variant, uint64_t state, unsigned state_size, const std::vector<uint32_t>& alternatives,
                uint64_t* lo, uint64_t* hi) {
  if (!variant) {
    if (state != 0) return false;
  } else if (state != (state_size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * state_size)) - 1)) {
    if (state >= alternatives.size()) return false;
    *lo += alternatives[state];
  }
  *lo = (*lo + 7) & ~uint64_t{7};
  *hi &= ~uint64_t{7};
  return *lo < *hi;
}

// StdPart is what a class of libstdc++ says of its own state, by its name and members:
// an optional's payload and engaged flag, a variant's storage and index (with each
// alternative's size), a function's callable buffer and manager, what a shared_ptr,
// unique_ptr or vector owns.
struct StdPart {
  enum Kind { kNone, kOptional, kVariant, kFunction, kSharedPtr, kUniquePtr, kVector } kind = kNone;
  int64_t a_off = 0;  // _M_payload, _M_u, _M_functor; the owning pointer; _M_start
  uint64_t a_size = 0;
  Dwarf_Die a_type{};  // its type (for an owning pointer, a pointer type)
  int64_t b_off = 0;   // _M_engaged, _M_index, _M_manager; _M_finish
  uint64_t b_size = 0;
  int64_t c_off = 0;   // _M_end_of_storage
  std::vector<uint32_t> alternatives;
};

StdPart std_part(Dwarf_Die* type);

// array_of() reads an array type: its element type and size, and its element count.
bool array_of(Dwarf_Die* type, Dwarf_Die* elem, Dwarf_Word* esize, Dwarf_Word* count) {
  Dwarf_Die sub;
  *count = 0;
  if (!type_of(type, elem) || dwarf_aggregate_size(elem, esize) != 0 || *esize == 0) return false;
  if (dwarf_child(type, &sub) != 0) return false;
  Dwarf_Attribute a;
  if (dwarf_attr(&sub, DW_AT_count, &a)) {
    dwarf_formudata(&a, count);
  } else if (dwarf_attr(&sub, DW_AT_upper_bound, &a) && dwarf_formudata(&a, count) == 0) {
    ++*count;
  }
  return true;
}

// for_each_part() calls f(offset, type, is_base) for each data member and base class of
// a struct (a static member has no offset and is left out).
template <class F>
void for_each_part(Dwarf_Die* type, F&& f) {
  Dwarf_Die c;
  if (dwarf_child(type, &c) != 0) return;
  do {
    int t = dwarf_tag(&c);
    if (t != DW_TAG_member && t != DW_TAG_inheritance) continue;
    int64_t off = 0;
    Dwarf_Die mt;
    if (member_offset(&c, &off) && type_of(&c, &mt)) f(off, mt, t == DW_TAG_inheritance);
  } while (dwarf_siblingof(&c, &c) == 0);
}

// state_conditions() finds, in a variable of type `type` at CFA-relative `base`, the
// parts its state may empty (CondDead), through members, base classes and the first
// elements of arrays. A variant's alternatives are not looked into (only one is there).
// `depth` counts members and array elements (a base class is part of its object: the
// standard classes nest theirs deeply); `budget` bounds the walk.
void state_conditions(Dwarf_Die type, int64_t base, int depth, int& budget, std::vector<CondDead>& out) {
  if (depth > 6 || --budget < 0 || out.size() >= 64 || !strip(&type)) return;
  int tag = dwarf_tag(&type);
  if (tag == DW_TAG_array_type) {
    Dwarf_Die elem;
    Dwarf_Word esize = 0, count = 0;
    if (!array_of(&type, &elem, &esize, &count)) return;
    for (Dwarf_Word i = 0; i < std::min<Dwarf_Word>(count, 16); ++i) {
      state_conditions(elem, base + static_cast<int64_t>(i * esize), depth + 1, budget, out);
    }
    return;
  }
  if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type) return;
  StdPart p = std_part(&type);
  int64_t lo = base + p.a_off, hi = lo + static_cast<int64_t>(p.a_size);
  switch (p.kind) {
    case StdPart::kOptional:
      out.push_back({CondDead::kWhenZero, base + p.b_off, 1, lo, hi, {}});
      state_conditions(p.a_type, lo, depth + 1, budget, out);
      return;
    case StdPart::kVariant:
      out.push_back({CondDead::kVariant, base + p.b_off, static_cast<uint8_t>(p.b_size), lo, hi, p.alternatives});
      return;
    case StdPart::kFunction:
      out.push_back({CondDead::kWhenZero, base + p.b_off, 8, lo, hi, {}});
      return;
    case StdPart::kSharedPtr: case StdPart::kUniquePtr: case StdPart::kVector:
      return;  // what they own is not the variable's (FrameRoots::empty_heap() follows it)
    case StdPart::kNone:
      break;
  }
  for_each_part(&type, [&](int64_t off, Dwarf_Die mt, bool is_base) {
    state_conditions(mt, base + off, is_base ? depth : depth + 1, budget, out);
  });
}

// variable_conditions() is state_conditions() for a variable whose home is at CFA + off.
void variable_conditions(Dwarf_Die* var, int64_t off, std::vector<CondDead>& out) {
  Dwarf_Die type;
  int budget = 512;
  if (type_of(var, &type)) state_conditions(type, off, 0, budget, out);
}

// deep_member() finds data member `name` in s, its members or base classes (a
// unique_ptr's pointer lies in a tuple's base class's member).
bool deep_member(Dwarf_Die s, const char* name, int depth, int64_t* off, Dwarf_Die* type) {
  if (depth > 6 || !strip(&s)) return false;
  Dwarf_Die c;
  if (dwarf_child(&s, &c) != 0) return false;
  do {
    int t = dwarf_tag(&c);
    if (t != DW_TAG_member && t != DW_TAG_inheritance) continue;
    int64_t o = 0;
    Dwarf_Die mt;
    if (!member_offset(&c, &o) || !type_of(&c, &mt)) continue;
    const char* n = dwarf_diename(&c);
    if (t == DW_TAG_member && n && std::strcmp(n, name) == 0) {
      *off = o;
      *type = mt;
      return true;
    }
    int64_t inner = 0;
    if (deep_member(mt, name, depth + 1, &inner, type)) {
      *off = o + inner;
      return true;
    }
  } while (dwarf_siblingof(&c, &c) == 0);
  return false;
}

StdPart std_part(Dwarf_Die* type) {
  StdPart p;
  const char* name = dwarf_diename(type);
  if (!name) return p;
  Dwarf_Die b_type;
  int64_t c_off = 0;
  uint64_t c_size = 0;
  if (starts(name, "_Optional_payload_base<")) {
    if (member(type, "_M_payload", &p.a_off, &p.a_size, &p.a_type) &&
        member(type, "_M_engaged", &p.b_off, &p.b_size, &b_type) && p.b_size == 1) {
      p.kind = StdPart::kOptional;
    }
  } else if (starts(name, "_Variant_storage<")) {
    if (member(type, "_M_u", &p.a_off, &p.a_size, &p.a_type) && member(type, "_M_index", &p.b_off, &p.b_size, &b_type) &&
        (p.b_size == 1 || p.b_size == 2 || p.b_size == 4) && variant_alternatives(p.a_type, p.alternatives)) {
      p.kind = StdPart::kVariant;
    }
  } else if (std::strcmp(name, "_Function_base") == 0) {
    if (member(type, "_M_functor", &p.a_off, &p.a_size, &p.a_type) &&
        member(type, "_M_manager", &p.b_off, &p.b_size, &b_type) && p.b_size == 8) {
      p.kind = StdPart::kFunction;
    }
  } else if (starts(name, "__shared_ptr<")) {
    if (member(type, "_M_ptr", &p.a_off, &p.a_size, &p.a_type) && dwarf_tag(&p.a_type) == DW_TAG_pointer_type) {
      p.kind = StdPart::kSharedPtr;
    }
  } else if (starts(name, "__uniq_ptr_impl<")) {
    if (deep_member(*type, "_M_head_impl", 0, &p.a_off, &p.a_type) && dwarf_tag(&p.a_type) == DW_TAG_pointer_type) {
      p.kind = StdPart::kUniquePtr;
    }
  } else if (std::strcmp(name, "_Vector_impl_data") == 0) {
    if (member(type, "_M_start", &p.a_off, &p.a_size, &p.a_type) && dwarf_tag(&p.a_type) == DW_TAG_pointer_type &&
        member(type, "_M_finish", &p.b_off, &p.b_size, &b_type) &&
        member(type, "_M_end_of_storage", &c_off, &c_size, &b_type) && p.a_size == 8 && p.b_size == 8 && c_size == 8) {
      p.c_off = c_off;
      p.kind = StdPart::kVector;
    }
  }
  return p;
}

}  // namespace

struct FrameRoots::Impl {
  Dwfl* dwfl = nullptr;
  Dwfl_Callbacks callbacks{};
  char* debuginfo_path = nullptr;
  csh cs = 0;
  bool cs_ok = false;
  std::unordered_map<uint64_t, Layout> layouts;  // by pc (a return address)
  std::unordered_map<uint64_t, Code> code;       // by function start
  std::unordered_map<std::string, std::shared_ptr<const StackRoots>> shapes;  // classify_stack()'s, by shape
  // with_state()'s, by the roots they extend and the parts found empty: (those roots,
  // kept alive so that no other can take their address; the result).
  std::unordered_map<std::string, std::pair<std::shared_ptr<const StackRoots>, std::shared_ptr<const StackRoots>>>
      with_state;
  std::vector<Dwarf_Die> types;  // Layout::Object::type, StackRoots::objects' types
  std::shared_ptr<std::vector<SlotNote>> notes = std::make_shared<std::vector<SlotNote>>();
  std::unordered_map<std::string, uint32_t> note_ids;

  // add_saved_registers(): a callee-saved register slot this frame wrote holds its
  // caller's value; the value at the register's previous place is this frame's own, live
  // or dead by what the frame's code does with it from the pc.
  void add_saved_registers(const Layout& L, uint64_t cfa, uint64_t* at, std::vector<StackSlot>& live,
                           std::vector<StackSlot>& dead, uint8_t* dead_registers = nullptr) {
    for (int k = 0; k < kSavedRegs; ++k) {
      const RegRule& r = L.rules[k];
      if (r.kind == RegRule::kSame) continue;  // this frame leaves it to its caller
      if (r.kind != RegRule::kSaved) {
        at[k] = 0;
        continue;
      }
      if (at[k] == 0) {
      } else if (at[k] == kInRegister) {
        if (L.use[k] == RegUse::kDead && dead_registers) *dead_registers |= uint8_t(1u << k);
      } else if (L.use[k] == RegUse::kDead) {
        dead.push_back({at[k], at[k] + 8, note(false, std::string("register ") + kRegName[k], L.function, "")});
      } else if (L.use[k] == RegUse::kLive) {
        live.push_back({at[k], at[k] + 8, note(true, std::string("register ") + kRegName[k], L.function, "")});
      }
      at[k] = cfa + static_cast<uint64_t>(r.cfa_offset);
    }
  }

  uint32_t note(bool live, std::string variable, std::string function, std::string scope) {
    std::string key = std::string(live ? "L" : "D") + variable + '\0' + function + '\0' + scope;
    auto [it, fresh] = note_ids.try_emplace(key, static_cast<uint32_t>(notes->size()));
    if (fresh) notes->push_back({live, std::move(variable), std::move(function), std::move(scope)});
    return it->second;
  }

  Code& function_code(Dwfl_Module* mod, uint64_t pc) {
    GElf_Off offset = 0;
    GElf_Sym sym;
    const char* name = dwfl_module_addrinfo(mod, pc, &offset, &sym, nullptr, nullptr, nullptr);
    uint64_t lo = pc - offset;
    auto [it, fresh] = code.try_emplace(lo);
    if (!fresh) return it->second;
    Code& c = it->second;
    if (!name || sym.st_size == 0 || sym.st_size > (4u << 20) || !cs_ok) return c;
    uint64_t hi = lo + sym.st_size;
    Dwarf_Addr a = lo, bias = 0;
    Elf_Scn* scn = dwfl_module_address_section(mod, &a, &bias);
    if (!scn) return c;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf || a + sym.st_size > data->d_size) return c;
    decode_function(cs, static_cast<const unsigned char*>(data->d_buf) + a, lo, hi, c);
    return c;
  }

  // variables() records the home slots of every variable of the function whose DIE is
  // `fn`, and which registers in-scope variables occupy at pc.
  //
  // A scope contains the frame when its ranges hold the call (rel_pc - 1) or the return
  // address (rel_pc), and so does every scope around it; the function's own scope always
  // does. A scope whose ranges cannot be read counts as containing it.
  void variables(Dwarf_Die* fn, Dwarf_Addr rel_pc, bool trust_dead, const std::string& function, Layout& out,
                 uint8_t* regs_in_use, std::vector<HomeRange>* all_homes) {
    struct Item {
      Dwarf_Die die;
      Dwarf_Die scope;
      bool scope_in;  // the scope contains the frame's pc
    };
    auto contains = [&](Dwarf_Die* d) {
      int a = dwarf_haspc(d, rel_pc - 1), b = dwarf_haspc(d, rel_pc);
      return a != 0 || b != 0;  // 1: yes, -1: unknown (kept in scope)
    };
    std::vector<Item> todo;
    Dwarf_Die child;
    if (dwarf_child(fn, &child) == 0) todo.push_back({child, *fn, true});
    std::size_t visited = 0;
    while (!todo.empty() && ++visited < 200000) {
      Item it = todo.back();
      todo.pop_back();
      Dwarf_Die sib;
      if (dwarf_siblingof(&it.die, &sib) == 0) todo.push_back({sib, it.scope, it.scope_in});
      int tag = dwarf_tag(&it.die);
      if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
        Dwarf_Die c;
        if (dwarf_child(&it.die, &c) == 0) todo.push_back({c, it.die, it.scope_in && contains(&it.die)});
        continue;
      }
      if (tag != DW_TAG_variable && tag != DW_TAG_formal_parameter) continue;
      Dwarf_Attribute loc;
      if (!dwarf_attr(&it.die, DW_AT_location, &loc)) continue;
      bool in_scope = it.scope_in;
      const char* vname = dwarf_diename(&it.die);
      std::string owner = function;
      if (dwarf_tag(&it.scope) == DW_TAG_inlined_subroutine) owner = die_function_name(&it.scope);
      Dwarf_Op* expr = nullptr;
      size_t len = 0;
      unsigned form = dwarf_whatform(&loc);
      bool single = form == DW_FORM_exprloc || form == DW_FORM_block || form == DW_FORM_block1 ||
                    form == DW_FORM_block2 || form == DW_FORM_block4;
      if (single) {
        if (dwarf_getlocation(&loc, &expr, &len) != 0) continue;
        if (in_scope && tag == DW_TAG_formal_parameter) note_object(&it.die, &it.scope, expr, len, out);
        if (len == 1 && expr[0].atom == DW_OP_fbreg) {
          int64_t off = static_cast<int64_t>(expr[0].number);
          uint64_t size = type_size(&it.die);
          all_homes->push_back({off, off + static_cast<int64_t>(size), true});
          if (in_scope || trust_dead) {
            std::string where = declared_at(&it.die);
            if (!in_scope) where += (where.empty() ? "" : ", ") + std::string("in a scope that has ended (") + scope_lines(&it.scope) + ")";
            out.homes.push_back({off, off + static_cast<int64_t>(size), in_scope,
                                 note(in_scope, vname ? vname : "?", owner, where)});
            if (in_scope) variable_conditions(&it.die, off, out.conds);
          }
          continue;
        }
        if (in_scope) mark_regs(expr, len, regs_in_use);
        continue;
      }
      // Every slot a location list ever puts the variable in bounds what an address
      // taken there may reach (written(), stale_words()).
      {
        Dwarf_Addr base = 0, start = 0, end = 0;
        Dwarf_Op* e = nullptr;
        size_t elen = 0;
        ptrdiff_t off = 0;
        int guard = 0;
        while ((off = dwarf_getlocations(&loc, off, &base, &start, &end, &e, &elen)) > 0 && ++guard < 4096) {
          if (elen == 1 && e[0].atom == DW_OP_fbreg) {
            int64_t o = static_cast<int64_t>(e[0].number);
            all_homes->push_back({o, o + static_cast<int64_t>(type_size(&it.die)), false});
          }
        }
      }
      if (!in_scope) continue;
      Dwarf_Op* exprs[8];
      size_t lens[8];
      int n = dwarf_getlocation_addr(&loc, rel_pc, exprs, lens, 8);
      if (n == 1 && tag == DW_TAG_formal_parameter) note_object(&it.die, &it.scope, exprs[0], lens[0], out);
      for (int e = 0; e < n; ++e) {
        if (lens[e] == 1 && exprs[e][0].atom == DW_OP_fbreg) {
          int64_t off = static_cast<int64_t>(exprs[e][0].number);
          out.homes.push_back({off, off + static_cast<int64_t>(type_size(&it.die)), true,
                               note(true, vname ? vname : "?", owner, declared_at(&it.die))});
          variable_conditions(&it.die, off, out.conds);
        } else {
          mark_regs(exprs[e], lens[e], regs_in_use);
        }
      }
    }
  }

  // note_object() records a member function's `this` (an artificial parameter) whose
  // value lies in a stack slot or a callee-saved register at the pc, with the class it
  // points to; not in a constructor or destructor (part of the object is not built).
  void note_object(Dwarf_Die* param, Dwarf_Die* fn, const Dwarf_Op* expr, size_t len, Layout& out) {
    Dwarf_Attribute a;
    bool artificial = false;
    if (!dwarf_attr_integrate(param, DW_AT_artificial, &a) || dwarf_formflag(&a, &artificial) != 0 || !artificial) return;
    Dwarf_Die ptr, cls;
    if (!type_of(param, &ptr) || dwarf_tag(&ptr) != DW_TAG_pointer_type || !type_of(&ptr, &cls)) return;
    int ctag = dwarf_tag(&cls);
    if (ctag != DW_TAG_structure_type && ctag != DW_TAG_class_type) return;
    const char* fname = dwarf_formstring(dwarf_attr_integrate(fn, DW_AT_name, &a));
    const char* cname = dwarf_diename(&cls);
    if (!fname || fname[0] == '~' || (cname && std::strcmp(fname, cname) == 0)) return;
    Layout::Object o;
    if (len == 1 && expr[0].atom == DW_OP_fbreg) {
      o.cfa_off = static_cast<int64_t>(expr[0].number);
    } else if (len == 1 && expr[0].atom >= DW_OP_reg0 && expr[0].atom <= DW_OP_reg31) {
      int dw = expr[0].atom - DW_OP_reg0;
      for (int k = 0; k < kSavedRegs; ++k) {
        if (kDwarfReg[k] == dw) o.reg = k;
      }
      if (o.reg < 0) return;
    } else {
      return;
    }
    o.type = static_cast<uint32_t>(types.size());
    types.push_back(cls);
    out.objects.push_back(o);
  }

  // mark_regs() notes the saved registers a location expression uses.
  static void mark_regs(const Dwarf_Op* ops, size_t n, uint8_t* regs) {
    for (size_t i = 0; i < n; ++i) {
      int reg = -1;
      uint8_t a = ops[i].atom;
      if (a >= DW_OP_reg0 && a <= DW_OP_reg31) reg = a - DW_OP_reg0;
      if (a >= DW_OP_breg0 && a <= DW_OP_breg31) reg = a - DW_OP_breg0;
      if (a == DW_OP_regx || a == DW_OP_bregx) reg = static_cast<int>(ops[i].number);
      for (int k = 0; k < kSavedRegs; ++k) {
        if (reg == kDwarfReg[k]) *regs |= uint8_t(1u << k);
      }
      // DW_OP_entry_value names a register's value at the function's entry, which its
      // block holds: no register of now.
    }
  }

  const Layout& layout(uint64_t pc) {
    auto [it, fresh] = layouts.try_emplace(pc);
    if (!fresh || !dwfl) return it->second;
    Layout& L = it->second;
    uint64_t at = pc - 1;  // a return address: the call is the instruction before it
    Dwfl_Module* mod = dwfl_addrmodule(dwfl, at);
    if (!mod) return L;
    if (!cfi_rules(mod, pc, L) || !L.cfa_is_rbp16) return L;
    // The debug information: the function, its calls that never return, its variables,
    // their scopes and homes.
    Dwarf_Addr bias = 0;
    Dwarf_Die* cu = dwfl_module_addrdie(mod, at, &bias);
    // The function whose code holds the pc, looked up among the unit's functions:
    // dwarf_getscopes() does not list it when the pc lies in an inlined function (it
    // follows the inlined function's abstract definition instead), and lists nothing
    // for some pcs. Which scopes contain the pc, variables() works out itself.
    Dwarf_Die fn_die;
    Dwarf_Die* fn = cu && concrete_function(cu, at - bias, &fn_die) ? &fn_die : nullptr;
    // The machine code: which saved registers the frame still reads.
    Code& code = function_code(mod, at);
    if (fn && !code.noreturn_known) {
      noreturn_calls(fn, bias, code);
      code.one_piece = in_one_piece(fn, bias, code);
    }
    L.use = reg_use(code, pc);
    uint8_t regs_in_use = 0;
    if (cu) {
      if (fn) {
        Dwarf_Attribute fb;
        Dwarf_Op* fbops = nullptr;
        size_t fblen = 0;
        bool fb_cfa = dwarf_attr(fn, DW_AT_frame_base, &fb) && dwarf_getlocation(&fb, &fbops, &fblen) == 0 &&
                      fblen == 1 && fbops[0].atom == DW_OP_call_frame_cfa;
        L.function = die_function_name(fn);
        L.hole_note = note(false, "a word no instruction of the function writes (padding or a hole)", L.function, "");
        L.cond_note = note(false,
                           "a part of a variable that its state empties (a disengaged std::optional's payload, a "
                           "std::variant's bytes beyond its alternative, an empty std::function's callable)",
                           L.function, "");
        if (fb_cfa) {
          std::vector<HomeRange> all_homes;
          variables(fn, pc - bias, slots_exclusive(cu), L.function, L, &regs_in_use, &all_homes);
          if (code.frame_known) {
            L.written = written(code, all_homes);
            L.holes_known = true;
            L.stale = stale_words(code, pc, all_homes);
            L.stale_note = note(false, "a spill or temporary that no path from here reads before overwriting",
                                L.function, "");
            L.unread = unread_objects(code, pc, all_homes);
            L.unread_note = note(false,
                                 "an object whose address was taken, that no path from here reads or takes again, "
                                 "and that no pointer reaches",
                                 L.function, "");
          }
        } else {
          regs_in_use = 0xff;
        }
      } else {
        regs_in_use = 0xff;
      }
    } else {
      regs_in_use = 0xff;  // no debug information: no register is known free
    }
    // An in-scope variable in a register keeps it live, whatever the code does next (it
    // may be read on the path that unwinds an exception, which the walk does not follow).
    for (int k = 0; k < kSavedRegs; ++k) {
      if ((regs_in_use >> k) & 1) L.use[k] = regs_in_use == 0xff && L.use[k] != RegUse::kLive ? RegUse::kUnknown : RegUse::kLive;
    }
    return L;
  }
};

FrameRoots::FrameRoots(pid_t pid) : impl_(std::make_unique<Impl>()) {
  impl_->callbacks.find_elf = dwfl_linux_proc_find_elf;
  impl_->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
  impl_->callbacks.debuginfo_path = &impl_->debuginfo_path;
  impl_->dwfl = dwfl_begin(&impl_->callbacks);
  if (impl_->dwfl &&
      (dwfl_linux_proc_report(impl_->dwfl, pid) != 0 || dwfl_report_end(impl_->dwfl, nullptr, nullptr) != 0)) {
    dwfl_end(impl_->dwfl);
    impl_->dwfl = nullptr;
  }
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &impl_->cs) == CS_ERR_OK) {
    cs_option(impl_->cs, CS_OPT_DETAIL, CS_OPT_ON);
    impl_->cs_ok = true;
  }
}

FrameRoots::~FrameRoots() {
  if (impl_->cs_ok) cs_close(&impl_->cs);
  if (impl_->dwfl) dwfl_end(impl_->dwfl);
}

bool FrameRoots::ok() const { return impl_->dwfl != nullptr && impl_->cs_ok; }

namespace {

// ImageReader reads words of a memory image by address.
class ImageReader {
 public:
  explicit ImageReader(const MemoryImage& img) {
    for (const MemoryRegion& r : img.regions) {
      if (r.data && r.end > r.start) spans_.push_back({r.start, r.end, r.data});
    }
    std::sort(spans_.begin(), spans_.end(), [](const Span& a, const Span& b) { return a.lo < b.lo; });
  }
  bool read(uint64_t a, void* out, std::size_t n) const {
    auto it = std::upper_bound(spans_.begin(), spans_.end(), a, [](uint64_t x, const Span& s) { return x < s.lo; });
    if (it == spans_.begin()) return false;
    --it;
    if (a < it->lo || a + n > it->hi || a + n < a) return false;
    std::memcpy(out, it->data + (a - it->lo), n);
    return true;
  }
  bool word(uint64_t a, uint64_t* v) const { return read(a, v, 8); }

 private:
  struct Span {
    uint64_t lo, hi;
    const char* data;
  };
  std::vector<Span> spans_;
};

// ObjectWalk follows typed objects through what they own (FrameRoots::empty_heap()).
class ObjectWalk {
 public:
  ObjectWalk(const ImageReader& mem, std::vector<std::pair<uint64_t, uint64_t>>& out) : mem_(mem), out_(out) {}

  void object(uint64_t addr, Dwarf_Die type, int depth) {
    if (depth > 10 || --budget_ < 0 || addr == 0 || !strip(&type)) return;
    int tag = dwarf_tag(&type);
    if (tag == DW_TAG_array_type) {
      Dwarf_Die elem;
      Dwarf_Word esize = 0, count = 0;
      if (!array_of(&type, &elem, &esize, &count)) return;
      for (Dwarf_Word i = 0; i < std::min<Dwarf_Word>(count, 64); ++i) object(addr + i * esize, elem, depth + 1);
      return;
    }
    if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type) return;
    if (!seen_.insert({addr, dwarf_dieoffset(&type)}).second) return;
    StdPart p = std_part(&type);
    uint64_t lo = addr + static_cast<uint64_t>(p.a_off), hi = lo + p.a_size;
    uint64_t state = 0, end = 0;
    Dwarf_Die pointee;
    switch (p.kind) {
      case StdPart::kOptional: case StdPart::kVariant: case StdPart::kFunction:
        if (!mem_.read(addr + static_cast<uint64_t>(p.b_off), &state, p.b_size)) return;
        if (p.kind == StdPart::kOptional && state != 0) {
          object(lo, p.a_type, depth + 1);  // engaged: the payload is alive
        } else if (empty_part(p.kind == StdPart::kVariant, state, static_cast<unsigned>(p.b_size), p.alternatives, &lo,
                              &hi)) {
          out_.emplace_back(lo, hi);
        }
        return;  // a variant's active alternative's type is not a member: not followed
      case StdPart::kSharedPtr: case StdPart::kUniquePtr:
        // What a shared_ptr or unique_ptr owns is alive while the owner is.
        if (type_of(&p.a_type, &pointee) && mem_.word(lo, &state)) object(state, pointee, depth + 1);
        return;
      case StdPart::kVector: {
        Dwarf_Word esize = 0;
        uint64_t start = 0;
        if (!type_of(&p.a_type, &pointee) || dwarf_aggregate_size(&pointee, &esize) != 0 || esize == 0) return;
        if (!mem_.word(lo, &start) || !mem_.word(addr + static_cast<uint64_t>(p.b_off), &state) ||
            !mem_.word(addr + static_cast<uint64_t>(p.c_off), &end)) {
          return;
        }
        if (start > state || state > end || end - start >= (uint64_t{1} << 30)) return;
        // The bytes of elements past size(), whole words.
        if (uint64_t a = (state + 7) & ~uint64_t{7}, b = end & ~uint64_t{7}; a < b) out_.emplace_back(a, b);
        for (uint64_t e = start; e < state && e < start + 64 * esize; e += esize) object(e, pointee, depth + 1);
        return;
      }
      case StdPart::kNone:
        break;
    }
    for_each_part(&type, [&](int64_t off, Dwarf_Die mt, bool is_base) {
      object(addr + static_cast<uint64_t>(off), mt, is_base ? depth : depth + 1);
    });
  }

 private:
  const ImageReader& mem_;
  std::vector<std::pair<uint64_t, uint64_t>>& out_;
  std::set<std::pair<uint64_t, Dwarf_Off>> seen_;
  long budget_ = 200000;
};

}  // namespace

namespace {

// stdio_buffers() adds the buffers of the C library's open FILEs, on the list that
// `_IO_list_all` (at list_head) starts: they hold characters, never pointers, and past
// what was printed the stale bytes of the recycled chunk (a pointer kept "reachable" by
// stdout for ever). glibc's struct _IO_FILE on x86-64: _IO_buf_base at +56, _IO_buf_end
// at +64, _chain at +104.
void stdio_buffers(const ImageReader& mem, uint64_t list_head, std::vector<std::pair<uint64_t, uint64_t>>& out) {
  uint64_t f = 0;
  if (list_head == 0 || !mem.word(list_head, &f)) return;
  for (int n = 0; n < 4096 && f != 0; ++n) {
    uint64_t base = 0, end = 0;
    if (!mem.word(f + 56, &base) || !mem.word(f + 64, &end)) return;
    base = (base + 7) & ~uint64_t{7};
    end &= ~uint64_t{7};
    if (base != 0 && base < end && end - base < (uint64_t{1} << 30)) out.emplace_back(base, end);
    if (!mem.word(f + 104, &f)) return;
  }
}

}  // namespace

void FrameRoots::empty_heap(MemoryImage& img) {
  ImageReader mem(img);
  std::vector<std::pair<uint64_t, uint64_t>> out;
  ObjectWalk walk(mem, out);
  for (const MemoryRegion& r : img.regions) {
    if (!r.roots || !r.data) continue;
    for (const TypedObject& o : r.roots->objects) {
      uint64_t addr = 0;
      if (o.type >= impl_->types.size() || o.word + 8 > r.end - r.start) continue;
      std::memcpy(&addr, r.data + o.word, 8);
      walk.object(addr, impl_->types[o.type], 0);
    }
  }
  stdio_buffers(mem, data_symbol("_IO_list_all"), out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  img.empty_heap = std::move(out);
}

uint64_t FrameRoots::data_symbol(const char* name) const {
  if (!impl_->dwfl) return 0;
  struct Search {
    const char* name;
    uint64_t found = 0;
  } search{name};
  dwfl_getmodules(
      impl_->dwfl,
      [](Dwfl_Module* mod, void**, const char*, Dwarf_Addr, void* arg) -> int {
        auto* s = static_cast<Search*>(arg);
        int n = dwfl_module_getsymtab(mod);
        for (int i = 1; i < n; ++i) {
          GElf_Sym sym;
          GElf_Addr addr = 0;
          const char* sn = dwfl_module_getsym_info(mod, i, &sym, &addr, nullptr, nullptr, nullptr);
          if (sn && GELF_ST_TYPE(sym.st_info) == STT_OBJECT && sym.st_shndx != SHN_UNDEF && std::strcmp(sn, s->name) == 0) {
            s->found = addr;
            return DWARF_CB_ABORT;
          }
        }
        return DWARF_CB_OK;
      },
      &search, 0);
  return search.found;
}

const SlotNote& FrameRoots::note(uint32_t i) const { return (*impl_->notes)[i]; }

std::shared_ptr<const std::vector<SlotNote>> FrameRoots::notes() const { return impl_->notes; }

namespace {

// relative() turns a classification in addresses into one in offsets from `start` (the
// start of the stack's region), to be shared by stacks alike.
std::shared_ptr<StackRoots> relative(StackRoots abs, uint64_t start) {
  auto rel = std::make_shared<StackRoots>(std::move(abs));
  for (StackSlot& d : rel->dead) d.lo -= start, d.hi -= start;
  for (StackSlot& d : rel->unread) d.lo -= start, d.hi -= start;
  for (StackSlot& l : rel->live) l.lo -= start, l.hi -= start;
  for (StackFrame& f : rel->frames) f.lo -= start, f.hi -= start;
  for (StateSlot& c : rel->state) c.flag -= start, c.lo -= start, c.hi -= start;
  for (TypedObject& o : rel->objects) o.word -= start;
  return rel;
}

}  // namespace

std::shared_ptr<const StackRoots> FrameRoots::classify_stack(const MemoryRegion& u) {
  if (!ok() || !u.data || u.end - u.start < arena::kContextSize) return nullptr;
  // The classification depends only on the frames' pcs and their offsets from the
  // region's start (and its size): goroutines parked alike share it.
  std::string shape;
  {
    auto put = [&](uint64_t v) { shape.append(reinterpret_cast<const char*>(&v), 8); };
    put(u.end - u.start);
    uint64_t pc = 0, fp = 0;
    std::memcpy(&pc, u.data + arena::kContextRip, 8);
    std::memcpy(&fp, u.data + arena::kContextRbp, 8);
    uint64_t frame_lo = u.start + arena::kContextSize;
    for (std::size_t n = 0; n < kMaxFrames && pc != 0; ++n) {
      if (fp < frame_lo || u.end < 16 || fp > u.end - 16 || fp % 8 != 0) break;
      if (!impl_->layout(pc).cfa_is_rbp16) break;
      put(pc);
      put(fp - u.start);
      uint64_t next_pc = 0, next_fp = 0;
      std::memcpy(&next_pc, u.data + (fp + 8 - u.start), 8);
      std::memcpy(&next_fp, u.data + (fp - u.start), 8);
      frame_lo = fp + 16;
      if (next_fp <= fp) break;
      pc = next_pc;
      fp = next_fp;
    }
  }
  auto cached = impl_->shapes.find(shape);
  if (cached != impl_->shapes.end()) return cached->second;
  StackRoots abs = classify_at(u);
  std::shared_ptr<StackRoots> rel;
  if (!abs.frames.empty()) {
    rel = relative(std::move(abs), u.start);
  }
  impl_->shapes.emplace(std::move(shape), rel);
  return rel;
}

namespace {

// One frame being classified: its CFA and the lowest address it owns.
struct FrameSpan {
  uint64_t lo, cfa;
};

// add_homes(): the home slots of the variables the frame's debug information describes.
void add_homes(const Layout& L, FrameSpan f, uint64_t stack_end, std::vector<StackSlot>& live,
               std::vector<StackSlot>& dead) {
  for (const Home& h : L.homes) {
    int64_t lo = static_cast<int64_t>(f.cfa) + h.lo, hi = static_cast<int64_t>(f.cfa) + h.hi;
    if (h.live) {
      // A parameter passed on the stack lies above the CFA, in the caller's frame: it
      // is live there too.
      lo = std::max<int64_t>(lo, static_cast<int64_t>(f.lo));
      hi = std::min<int64_t>(hi, static_cast<int64_t>(stack_end));
    } else {
      lo = std::max<int64_t>(lo, static_cast<int64_t>(f.lo));
      hi = std::min<int64_t>(hi, static_cast<int64_t>(f.cfa) - 16);  // never the saved rbp and return address
    }
    if (lo >= hi) continue;
    (h.live ? live : dead).push_back({static_cast<uint64_t>(lo), static_cast<uint64_t>(hi), h.note});
  }
}

// add_holes(): words of the frame the function never writes hold what an earlier call
// left.
void add_holes(const Layout& L, FrameSpan f, std::vector<StackSlot>& dead) {
  if (!L.holes_known) return;
  uint64_t w = f.lo;
  uint64_t end = f.cfa - 16;
  for (const auto& [lo, hi] : L.written) {
    uint64_t a = static_cast<uint64_t>(static_cast<int64_t>(f.cfa) + lo);
    uint64_t b = static_cast<uint64_t>(static_cast<int64_t>(f.cfa) + hi);
    if (b <= w) continue;
    if (a >= end) break;
    if (a > w) dead.push_back({w & ~uint64_t{7}, std::min(a, end) & ~uint64_t{7}, L.hole_note});
    w = std::max(w, b);
  }
  if (w < end) dead.push_back({(w + 7) & ~uint64_t{7}, end, L.hole_note});
}

// add_stale(): spills and temporaries no path from the pc reads before overwriting.
void add_stale(const Layout& L, FrameSpan f, std::vector<StackSlot>& dead) {
  for (int32_t o : L.stale) {
    uint64_t a = static_cast<uint64_t>(static_cast<int64_t>(f.cfa) + o);
    if (a >= f.lo && a + 8 <= f.cfa - 16) dead.push_back({a, a + 8, L.stale_note});
  }
}

// add_unread(): objects the frame's code is done with (unread_objects()).
void add_unread(const Layout& L, FrameSpan f, std::vector<StackSlot>& unread) {
  for (const auto& [lo, hi] : L.unread) {
    uint64_t a = static_cast<uint64_t>(static_cast<int64_t>(f.cfa) + lo);
    uint64_t b = static_cast<uint64_t>(static_cast<int64_t>(f.cfa) + hi);
    if (a >= f.lo && b <= f.cfa - 16) unread.push_back({a, b, L.unread_note});
  }
}

// dead_minus_live() is the dead slots without what any live slot occupies (that stays
// a root), in address order, overlapping pieces merged, each narrowed to the whole
// words it covers: the scan reads aligned words, and a word that holds a byte of
// anything else (a live variable next to a 1-byte dead one) stays a root.
std::vector<StackSlot> dead_minus_live(std::vector<StackSlot>& dead, std::vector<StackSlot>& live) {
  std::sort(live.begin(), live.end(), [](const StackSlot& a, const StackSlot& b) { return a.lo < b.lo; });
  std::sort(dead.begin(), dead.end(), [](const StackSlot& a, const StackSlot& b) { return a.lo < b.lo; });
  std::vector<StackSlot> result;
  for (StackSlot d : dead) {
    for (const StackSlot& l : live) {
      if (l.hi <= d.lo || l.lo >= d.hi) continue;
      if (l.lo > d.lo) result.push_back({d.lo, l.lo, d.note});
      d.lo = std::max(d.lo, l.hi);
      if (d.lo >= d.hi) break;
    }
    if (d.lo < d.hi) result.push_back(d);
  }
  std::sort(result.begin(), result.end(), [](const StackSlot& a, const StackSlot& b) { return a.lo < b.lo; });
  // Overlapping dead pieces (two dead variables that shared nothing but a range) merge.
  std::vector<StackSlot> merged;
  for (const StackSlot& d : result) {
    if (!merged.empty() && d.lo < merged.back().hi) {
      merged.back().hi = std::max(merged.back().hi, d.hi);
    } else {
      merged.push_back(d);
    }
  }
  std::vector<StackSlot> words;
  for (StackSlot d : merged) {
    d.lo = (d.lo + 7) & ~uint64_t{7};
    d.hi &= ~uint64_t{7};
    if (d.lo < d.hi) words.push_back(d);
  }
  return words;
}

}  // namespace

StackRoots FrameRoots::classify_at(const MemoryRegion& u) {
  uint64_t pc = 0, fp = 0;
  std::memcpy(&pc, u.data + arena::kContextRip, 8);
  std::memcpy(&fp, u.data + arena::kContextRbp, 8);
  // Where the value of each saved register "as seen by" the current frame lies.
  std::array<uint64_t, kSavedRegs> at{};
  for (int k = 0; k < kSavedRegs; ++k) at[k] = u.start + kContextOffset[k];
  StackRoots out;
  walk_frame_pointers(u, pc, fp, u.start + arena::kContextSize, at.data(), out);
  return out;
}

// walk_frame_pointers() classifies the frames of stack u from the one at pc, whose
// frame pointer is fp and whose lowest word is frame_lo, following the frame pointers;
// at says where each saved register's value as that frame sees it lies (0: in no
// word of the stack).
void FrameRoots::walk_frame_pointers(const MemoryRegion& u, uint64_t pc, uint64_t fp, uint64_t frame_lo, uint64_t* at,
                                     StackRoots& out) {
  auto word = [&](uint64_t a, uint64_t* v) {
    if (a < u.start || a + 8 > u.end) return false;
    std::memcpy(v, u.data + (a - u.start), 8);
    return true;
  };
  std::vector<StackSlot> dead, live, unread;
  for (std::size_t n = 0; n < kMaxFrames && pc != 0; ++n) {
    if (fp < frame_lo || u.end < 16 || fp > u.end - 16 || fp % 8 != 0) break;
    const Layout& L = impl_->layout(pc);
    if (!L.cfa_is_rbp16) break;
    FrameSpan f{frame_lo, fp + 16};
    out.frames.push_back({f.lo, f.cfa, pc, true});
    add_homes(L, f, u.end, live, dead);
    add_holes(L, f, dead);
    add_stale(L, f, dead);
    add_unread(L, f, unread);
    for (const CondDead& c : L.conds) {
      auto abs = [&](int64_t o) { return static_cast<uint64_t>(static_cast<int64_t>(f.cfa) + o); };
      if (abs(c.lo) < u.start || abs(c.hi) > u.end || abs(c.flag) < u.start || abs(c.flag) + c.flag_size > u.end) continue;
      out.state.push_back({abs(c.flag), c.flag_size, c.kind == CondDead::kVariant, abs(c.lo), abs(c.hi), c.alternatives,
                           L.cond_note});
    }
    for (const Layout::Object& o : L.objects) {
      uint64_t word = o.reg < 0 ? static_cast<uint64_t>(static_cast<int64_t>(f.cfa) + o.cfa_off) : at[o.reg];
      if (word >= u.start && word + 8 <= u.end) out.objects.push_back({word, o.type});
    }
    impl_->add_saved_registers(L, f.cfa, at, live, dead, &out.dead_registers);
    uint64_t next_pc = 0, next_fp = 0;
    if (!word(fp + 8, &next_pc) || !word(fp, &next_fp)) break;
    frame_lo = f.cfa;
    if (next_fp <= fp) break;
    pc = next_pc;
    fp = next_fp;
  }
  out.dead = dead_minus_live(dead, live);
  out.unread = dead_minus_live(unread, live);
  out.live = std::move(live);
}

std::shared_ptr<const StackRoots> FrameRoots::classify_thread(const MemoryRegion& u, const user_regs_struct& regs) {
  if (!ok() || !u.data || regs.rsp < u.start || regs.rsp >= u.end) return nullptr;
  auto word = [&](uint64_t a, uint64_t* v) {
    if (a < u.start || a + 8 > u.end) return false;
    std::memcpy(v, u.data + (a - u.start), 8);
    return true;
  };
  uint64_t pc = regs.rip, sp = regs.rsp, fp = regs.rbp;
  // The registers' values are in the thread's registers until a frame saved them.
  std::array<uint64_t, kSavedRegs> at{};
  at.fill(kInRegister);
  StackRoots out;
  // Frames without a frame pointer (the C library's, around the system call the thread
  // waits in) are stepped over by their CFI. Their words stay unknown.
  for (std::size_t n = 0; n < kMaxFrames && pc != 0; ++n) {
    const Layout& L = impl_->layout(pc);
    if (L.cfa_is_rbp16 && fp >= sp) {
      walk_frame_pointers(u, pc, fp, sp, at.data(), out);
      break;
    }
    if (L.cfa_reg < 0 || !L.ra_at_cfa8) break;
    uint64_t cfa = (L.cfa_reg == 7 ? sp : fp) + static_cast<uint64_t>(L.cfa_offset);
    uint64_t ra = 0, next_fp = fp;
    if (cfa <= sp || !word(cfa - 8, &ra)) break;
    if (L.rbp_rule.kind == RegRule::kSaved) {
      if (!word(cfa + static_cast<uint64_t>(L.rbp_rule.cfa_offset), &next_fp)) break;
    } else if (L.rbp_rule.kind != RegRule::kSame) {
      break;
    }
    out.frames.push_back({sp, cfa, pc, false});
    std::vector<StackSlot> none;
    impl_->add_saved_registers(L, cfa, at.data(), none, none);  // only where they lie now
    pc = ra;
    sp = cfa;
    fp = next_fp;
  }
  if (std::none_of(out.frames.begin(), out.frames.end(), [](const StackFrame& f) { return f.described; })) return nullptr;
  return relative(std::move(out), u.start);
}

std::shared_ptr<const StackRoots> FrameRoots::with_state(std::shared_ptr<const StackRoots> roots, const MemoryRegion& u) {
  if (!roots || roots->state.empty() || !u.data) return roots;
  std::vector<StackSlot> empty;
  for (const StateSlot& c : roots->state) {
    if (c.flag + c.flag_size > u.end - u.start || c.hi > u.end - u.start) continue;
    uint64_t v = 0, lo = c.lo, hi = c.hi;
    std::memcpy(&v, u.data + c.flag, c.flag_size);  // little-endian
    if (empty_part(c.variant, v, c.flag_size, c.alternatives, &lo, &hi)) empty.push_back({lo, hi, c.note});
  }
  if (empty.empty()) return roots;
  const StackRoots* raw = roots.get();
  std::string key(reinterpret_cast<const char*>(&raw), sizeof raw);
  for (const StackSlot& e : empty) {
    key.append(reinterpret_cast<const char*>(&e.lo), 8);
    key.append(reinterpret_cast<const char*>(&e.hi), 8);
  }
  auto [it, fresh] = impl_->with_state.try_emplace(key);
  if (!fresh) return it->second.second;
  auto out = std::make_shared<StackRoots>(*roots);
  std::vector<StackSlot> none;
  out->dead.insert(out->dead.end(), empty.begin(), empty.end());
  out->dead = dead_minus_live(out->dead, none);  // sorted, merged
  it->second = {roots, out};  // the entry keeps alive the roots whose address is its key
  return out;
}

}  // namespace gleak::inspector
