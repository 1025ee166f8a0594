// inspector/read/memory_image.h — a copy of the target's writable memory, for the leak
// analysis (inspector/analyse/leaks.h).
//
// A live target is copied while it is stopped (ReadOptions::memory): every readable and
// writable mapping except the probe arena and the goroutine stack slabs, then each
// goroutine's used stack (from its saved or current stack pointer up) and closure, and
// every thread's registers. Stale memory — free stack slots, the arena's free
// descriptors — is left out on purpose: it would look like live references.
#pragma once

#include <sys/user.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <memory>
#include <string>
#include <vector>

#include "inspector/read/pipes.h"

namespace gleak::inspector {

struct StackRoots;
struct SlotNote;

enum class RegionKind {
  kRoot,     // globals, thread stacks, TLS, anonymous memory: scanned whole
  kHeap,     // a glibc heap (the main arena's [heap]); walked chunk by chunk
  kStack,    // a goroutine's used stack: [stack pointer, stack top)
  kClosure,  // a goroutine's closure (its captured values)
};

struct MemoryRegion {
  uint64_t start = 0;
  uint64_t end = 0;
  RegionKind kind = RegionKind::kRoot;
  uint64_t goroutine = 0;     // kStack, kClosure: whose
  std::string name;           // the mapping's path or pseudo-name ("[heap]", "" for anonymous)
  const char* data = nullptr; // end - start bytes copied from the target
  // kStack of a parked goroutine: which of its words are live, dead or unknown
  // (inspector/read/frame_roots.h); null when that could not be worked out.
  std::shared_ptr<const StackRoots> roots;
  // kRoot, kHeap: the part of its mapping between two ranges left out (the arena, the
  // stack slabs) that the region was cut from: the region may be a piece of it, the
  // pages in memory.
  uint64_t map_lo = 0, map_hi = 0;
  int thread = 0;  // kRoot: the stopped thread whose stack pointer lies in it (its tid)
};

struct MemoryImage {
  std::vector<MemoryRegion> regions;      // kRoot and kHeap sorted by start, then the others
  // Every stopped thread's general registers but the idle workers', thread after thread
  // (as `threads`); a callee-saved one the thread's frames overwrite before reading is 0.
  std::vector<uint64_t> register_words;
  // The stopped threads that run user code (not idle workers), for their stacks' frames.
  struct ThreadRegisters {
    int tid = 0;
    user_regs_struct regs{};
  };
  std::vector<ThreadRegisters> threads;
  std::vector<PipeBuffer> pipes;          // bytes waiting in its pipes (roots, at every byte offset)
  // Parts of heap memory that hold nothing (FrameRoots::empty_heap()): what the state of
  // objects live frames work on says is empty, and stdio's buffers. The analysis does
  // not scan them.
  std::vector<std::pair<uint64_t, uint64_t>> empty_heap;
  std::vector<std::string> unreadable;    // mappings (or pipes) that could not be copied
  bool stopped = false;                   // the target was stopped while it was copied
  std::shared_ptr<const std::vector<SlotNote>> slot_notes;  // what StackSlot::note indexes
  std::string roots_note;                 // why stacks could not be classified, if so
  std::vector<std::shared_ptr<void>> buffers;  // own the copies `data` points into
};

// MapEntry is one line of /proc/<pid>/maps.
struct MapEntry {
  uint64_t start = 0;
  uint64_t end = 0;
  bool read = false, write = false, exec = false, shared = false;
  uint64_t offset = 0;
  uint64_t inode = 0;
  std::string path;
};
std::vector<MapEntry> parse_maps(const std::string& text);

// ---- What to copy of a stopped target: the rules of docs/leaks.md, "What is read". ----
//
// The reader gathers the facts (the memory map, the ranges to leave out, the threads'
// registers, the goroutines that run and the closures); plan_capture() turns them into
// the regions to copy and the register words to keep; the reader then copies them.

struct CaptureFacts {
  std::vector<MapEntry> maps;
  // Left out of every mapping: the arena, the goroutine stack slabs (their free parts
  // hold stale words) and the workers' own stacks (only the scheduler runs there).
  std::vector<std::pair<uint64_t, uint64_t>> excluded;
  struct Thread {
    int tid = 0;
    const user_regs_struct* regs = nullptr;
    bool idle_worker = false;  // a worker that runs no goroutine: its registers are the scheduler's
  };
  std::vector<Thread> threads;  // every stopped thread
  // A goroutine that runs, or is parking (switching) and still on its worker.
  struct Running {
    uint64_t id = 0;
    uint64_t stack_lo = 0, stack_hi = 0;
    uint64_t saved_sp = 0;  // a switching goroutine's saved context (its previous one)
    bool switching = false;
    const user_regs_struct* regs = nullptr;  // its worker thread's, if known
  };
  std::vector<Running> running;
  struct Closure {
    uint64_t goroutine = 0, start = 0, size = 0;
  };
  std::vector<Closure> closures;
  uint64_t arena_lo = 0, arena_hi = 0;  // where the target maps the arena
};

struct CapturePlan {
  // To copy from the target: kRoot and kHeap mappings (before resident_pieces() trims
  // them to the pages there), running goroutines' stacks, closures outside the arena.
  std::vector<MemoryRegion> regions;
  // Closures that lie in the arena: the reader takes them from its own mapping of it.
  std::vector<MemoryRegion> arena_closures;
  std::vector<uint64_t> register_words;  // of every thread but the idle workers
  std::vector<MemoryImage::ThreadRegisters> threads;  // the same threads
  std::vector<std::string> unreadable;   // what will not be copied, and why
};

CapturePlan plan_capture(const CaptureFacts& facts);
// unreadable_text() names a region that could not be copied: "0x…-0x… <name>".
std::string unreadable_text(const MemoryRegion& r);

}  // namespace gleak::inspector
