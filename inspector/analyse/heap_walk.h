// inspector/analyse/heap_walk.h — the allocated blocks of glibc's malloc heaps in a MemoryImage.
//
// glibc keeps its heaps as contiguous runs of chunks: a size word (low bits: flags) in
// front of each, the next chunk's PREV_INUSE bit saying whether this one is allocated.
// The main arena is the [heap] mapping; every other arena lives in 64 MiB-aligned
// anonymous heaps that start with a heap_info (and, for an arena's first heap, the
// arena's malloc_state). A walk is accepted only when every size is sane and the last
// chunk ends where the heap ends; a region that does not walk is no heap of glibc's (or
// a corrupt one), and the analysis scans it whole instead. Chunks sitting in tcache or
// fastbins look allocated: scanning them can only hide a leak, never invent one.
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

}  // namespace gleak::inspector
