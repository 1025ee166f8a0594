// gleak/detail/group.h — goroutine groups: a tag that says whom a goroutine works for
// (a test, a request), for tools such as gleak::testing. Not part of the public API:
// names here may change.
//
// Every goroutine carries a group (arena::GoroutineRecord::group). go() gives the new
// goroutine the group of its caller: the calling goroutine's, or, on a plain thread,
// the thread's (0 unless set). So a group covers everything a piece of code starts,
// directly or through the goroutines it starts, whatever thread they run on.
#pragma once

#include <cstdint>
#include <vector>

namespace gleak::detail {

// current_group() is the group of the calling goroutine, or of the calling plain thread.
uint32_t current_group();

// set_current_group() sets the group of the calling goroutine (or plain thread) and
// returns the previous one. Goroutines it starts from now on inherit the new group;
// those started before keep theirs.
uint32_t set_current_group(uint32_t group);

// new_group() is a group number no other call has returned in this process (never 0).
uint32_t new_group();

// GoroutineBrief is what live_goroutines() tells about one goroutine.
struct GoroutineBrief {
  uint64_t id = 0;
  uint64_t parent_id = 0;
  uint32_t group = 0;
  uint32_t state = 0;  // arena::GoroutineState
};

// live_goroutines() lists the goroutines that exist now (created and not yet exited),
// by id, without stopping anything: cheap enough to call in a retry loop. A goroutine
// that is exiting may still be listed. With group != 0, only that group's.
std::vector<GoroutineBrief> live_goroutines(uint32_t group = 0);

}  // namespace gleak::detail
