// inspector/read/frame_roots.h — which words of a parked goroutine's stack are roots: the
// liveness of each frame's slots and saved registers at the frame's pc, from the
// program's debug information (DWARF, CFI) and its machine code.
//
// A conservative scan treats every word of a frame that can still run as a root. A
// frame that keeps running (a main loop, a server) still holds the bits of handles that
// went out of scope there: an ended inner block's locals, an inlined helper's locals, a
// callee-saved register the compiler never reused. Those stale words keep dropped
// channels and locks "reachable", and hide leaks. classify_stack() tells them apart:
//
//   live     a variable or parameter whose scope contains the pc lives there (DWARF);
//   dead     the home slot of a variable whose scope has ended; or a callee-saved
//            register (in the saved context, or where a callee saved it) that the
//            frame's code writes before it reads it on every path from the pc, and
//            that no in-scope variable occupies;
//   unread   an object whose address the frame took (a temporary passed by reference)
//            that no path from the pc reads or takes again: dead unless a pointer to
//            it is found anywhere in the target's memory (the leak analysis looks);
//   unknown  anything else (spills, temporaries, padding, frames without debug
//            information): scanned, as before.
//
// A slot is trusted dead only in code compiled without stack-slot sharing (GCC's
// -fstack-reuse=none, which gleak::runtime hands its users, or -O0), read from the
// compile unit's DW_AT_producer: with sharing, a dead variable's slot may hold a live
// temporary. docs/leaks.md states every assumption.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gleak::inspector {

struct MemoryRegion;
struct MemoryImage;

// SlotNote describes a classified piece of a stack: the variable (or register) it
// belongs to, and where.
struct SlotNote {
  bool live = false;
  std::string variable;  // "acct", or "register rbx" for a saved register
  std::string function;  // the function (or inlined function) the variable belongs to
  std::string scope;     // "declared at server.cc:35", and for a dead one the scope that ended
};

// StackSlot is one classified range [lo, hi) of a stack, as offsets from the start of
// its region (MemoryRegion::start); note indexes the notes (FrameRoots::notes()).
struct StackSlot {
  uint64_t lo = 0, hi = 0;
  uint32_t note = 0;
};

// StackFrame is one frame of a parked goroutine's stack: [lo, hi) with hi its CFA, as
// offsets from the start of its region.
struct StackFrame {
  uint64_t lo = 0, hi = 0;
  uint64_t pc = 0;       // its pc (a return address, except the innermost)
  bool described = false;  // its liveness could be worked out
};

// StateSlot is a part of a live variable that the variable's own state may empty: a
// disengaged std::optional's payload, a std::variant's bytes beyond its active
// alternative, an empty std::function's callable (libstdc++'s layouts, found through
// the variable's DWARF type, its members and base classes). Which it is depends on the
// stack's contents: FrameRoots::with_state() reads them. Offsets as StackSlot's.
struct StateSlot {
  uint64_t flag = 0;       // the state word: _M_engaged, _M_index, _M_manager
  uint8_t flag_size = 1;   // 1, 2, 4 or 8 bytes
  bool variant = false;    // false: [lo, hi) holds nothing when the state is zero
  uint64_t lo = 0, hi = 0; // variant: the storage of its alternatives
  std::vector<uint32_t> alternatives;  // variant: each alternative's size, by index
  uint32_t note = 0;
};

// TypedObject is an object a frame's member function works on (its `this`): the word
// that holds its address (an offset as StackSlot's) and its class, for
// FrameRoots::empty_heap().
struct TypedObject {
  uint64_t word = 0;
  uint32_t type = 0;
};

// StackRoots is the classification of a goroutine's used stack. It holds offsets, not
// addresses: goroutines parked at the same place, with frames at the same offsets from
// their saved context, share one (100,000 goroutines in a few stacks hold a few).
struct StackRoots {
  std::vector<StackSlot> dead;   // sorted, disjoint: not roots
  std::vector<StackSlot> live;   // sorted: in-scope variables (for explanations)
  // Objects whose address their frame took and that its code is done with: dead unless
  // some word anywhere (a pointer taken earlier and kept) points into them; the leak
  // analysis checks that against the whole memory image. Sorted, disjoint.
  std::vector<StackSlot> unread;
  std::vector<StackFrame> frames;
  std::vector<StateSlot> state;  // with_state() adds the empty ones to `dead`
  std::vector<TypedObject> objects;
  // A stopped thread's (classify_thread()): callee-saved registers, bit k for rbx, r12,
  // r13, r14 and r15, whose value in the thread's register no frame reads before
  // overwriting it (a dead register, like a dead saved slot).
  uint8_t dead_registers = 0;
};

class FrameRoots {
 public:
  // FrameRoots(pid) reads the modules of a live process (its code and debug info).
  explicit FrameRoots(pid_t pid);
  ~FrameRoots();
  FrameRoots(const FrameRoots&) = delete;
  FrameRoots& operator=(const FrameRoots&) = delete;

  bool ok() const;

  // classify_stack() classifies the used stack of a parked goroutine: `stack` starts at
  // the saved context (arena::kContextSize bytes: callee-saved registers, then the
  // resume address), and runs to the top of the stack.
  // Null when no frame could be described.
  std::shared_ptr<const StackRoots> classify_stack(const MemoryRegion& stack);

  // classify_thread() classifies the stack of a stopped thread from its registers:
  // `stack` runs from below its stack pointer to the top of its mapping. Frames without
  // a frame pointer (the C library's, around the system call it waits in) are stepped
  // over by their CFI and stay unknown; from the first frame with one, frames are
  // classified as a parked goroutine's. Null when no frame could be described.
  std::shared_ptr<const StackRoots> classify_thread(const MemoryRegion& stack, const user_regs_struct& regs);

  // with_state() is `roots` with the parts of live variables that their state empties
  // (StackRoots::state), as the contents of `stack` say, added to its dead words.
  // Stacks in the same state share the result.
  std::shared_ptr<const StackRoots> with_state(std::shared_ptr<const StackRoots> roots, const MemoryRegion& stack);

  // empty_heap() follows, from the objects the frames of `img`'s classified stacks work
  // on (StackRoots::objects), their members, base classes and what their
  // std::shared_ptr, std::unique_ptr and std::vector members own, and adds to
  // img.empty_heap the parts of heap memory that their state says hold nothing: a
  // disengaged optional's payload, a variant's bytes past its alternative, an empty
  // function's callable, a vector's capacity past its size; and the buffers of the C
  // library's open FILEs (characters, never pointers).
  void empty_heap(MemoryImage& img);

  // data_symbol() is the address in the target of the data object `name` (the first
  // module defining it), or 0.
  uint64_t data_symbol(const char* name) const;

  // note() is what a StackSlot's note index stands for.
  const SlotNote& note(uint32_t i) const;

  // notes() hands over every note made so far (for a Snapshot to keep).
  std::shared_ptr<const std::vector<SlotNote>> notes() const;

 private:
  // classify_at() classifies one stack, in addresses.
  StackRoots classify_at(const MemoryRegion& stack);
  void walk_frame_pointers(const MemoryRegion& stack, uint64_t pc, uint64_t fp, uint64_t frame_lo, uint64_t* at,
                           StackRoots& out);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gleak::inspector
