// inspector/analyse/heap_walk.h — the allocated blocks of glibc's malloc heaps in a MemoryImage.
//
// glibc keeps its heaps as contiguous runs of chunks: a size word (low bits: flags) in
// front of each, the next chunk's PREV_INUSE bit saying whether this one is allocated.
// The main arena is the [heap] mapping; every other arena lives in 64 MiB-aligned
// anonymous heaps that start with a heap_info (and, for an arena's first heap, the
// arena's malloc_state). A walk is accepted only when every size is sane and the last
// chunk ends where the heap ends; a region that does not walk is no heap of glibc's (or
// a corrupt one), and the analysis scans it whole instead. Chunks sitting in a thread's
// tcache look allocated too: drop_tcached() finds them. Chunks in fastbins still look
// allocated: scanning them can only hide a leak, never invent one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inspector/read/memory_image.h"

namespace gleak::inspector {

struct HeapBlock {
  uint64_t start = 0;  // first byte of user data
  uint64_t end = 0;    // one past the last usable byte
};

// walk_main_heap() walks the main arena's [heap] region.
bool walk_main_heap(const MemoryRegion& r, std::vector<HeapBlock>& out, std::string* why);

// walk_thread_heap() walks a region that may be a heap of a non-main arena; false when
// it is not one (or does not walk).
bool walk_thread_heap(const MemoryRegion& r, std::vector<HeapBlock>& out, std::string* why);

// walk_mmapped() finds the chunks glibc's malloc serves from mappings of their own
// (requests above the mmap threshold, 128 KiB to 32 MiB) at the start of an anonymous
// mapping [map_lo, map_hi): a chunk header (prev_size 0, a size that is a whole number
// of pages, with IS_MMAPPED and no other flag) at map_lo, the next one where it ends,
// and so on while headers follow. Adjacent mappings merge into one line of
// /proc/<pid>/maps: what follows the last chunk is something else. `pieces` are the
// parts of the mapping the image holds, sorted by start; every header must lie in one.
// Each chunk is one block: user data from after its 16-byte header to its end.
// Returns where the chunks end: map_lo when there is none.
uint64_t walk_mmapped(const std::vector<const MemoryRegion*>& pieces, uint64_t map_lo, uint64_t map_hi,
                      std::vector<HeapBlock>& out);

// CopiedBlock is an allocated block with its copied bytes.
struct CopiedBlock {
  uint64_t start = 0, end = 0;
  const char* data = nullptr;
};

// drop_tcached() removes from blocks (sorted by start) the chunks that sit in a glibc
// tcache (2.32 or later: safe-linked lists with a key): free memory, though the heap's
// bits say allocated, whose stale bytes are no reference. A tcache is recognised by its
// own block (tcache_perthread_struct: 64 counts, 64 list heads) only when every one of
// its lists checks out: each entry a block of its size class, with the key, linked
// count times to the end (an entry in memory that was not walked ends what can be
// read of its list). Returns how many blocks it removed.
std::size_t drop_tcached(std::vector<CopiedBlock>& blocks);

}  // namespace gleak::inspector
