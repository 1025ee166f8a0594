// inspector/memory_image.h — a copy of the target's writable memory, for the leak
// analysis (inspector/leaks.h).
//
// A live target is copied while it is stopped (ReadOptions::memory): every readable and
// writable mapping except the probe arena and the goroutine stack slabs, then each
// goroutine's used stack (from its saved or current stack pointer up) and closure, and
// every thread's registers. Stale memory — free stack slots, the arena's free
// descriptors — is left out on purpose: it would look like live references.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  // (inspector/frame_roots.h); null when that could not be worked out.
  std::shared_ptr<const StackRoots> roots;
};

struct MemoryImage {
  std::vector<MemoryRegion> regions;      // kRoot and kHeap sorted by start, then the others
  std::vector<uint64_t> register_words;   // every stopped thread's general registers
  std::vector<std::string> unreadable;    // mappings that could not be copied
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

}  // namespace gleak::inspector
