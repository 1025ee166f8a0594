// inspector/read/event_follow.h — reading a process's event rings, once or again and again.
//
// Each worker writes its own ring (arena/layout.h): `written` counts every event
// ever written and event i lives at events[i % kRingEvents]. A reader remembers, per
// ring, the index of the next event it has not read. Reading again returns only what
// was written since, so no event is returned twice; when a ring wrapped between two
// reads (more than kRingEvents written), the overwritten events are counted as lost.
//
// The arena is a shared mapping: following it costs memory reads only, no system call
// and no stop of the target.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inspector/read/arena_file.h"
#include "inspector/snapshot.h"

namespace gleak::inspector {

// read_ring() appends ring's events with index >= *next to out (oldest first), sets
// *next past the last one read and returns how many of them had been overwritten
// before they could be read. worker is the ring's index (-1 for the plain threads'
// ring), stored in each Event.
uint64_t read_ring(const arena::Ring& ring, int worker, uint64_t* next, std::vector<Event>& out);

// EventFollower follows the rings of one arena file.
class EventFollower {
 public:
  // EventFollower() maps the arena at path; throws InspectError as ArenaFile::open().
  explicit EventFollower(const std::string& path);

  // skip_history() makes the next poll() start at the events written from now on,
  // leaving out what the rings already hold.
  void skip_history();

  // poll() appends the events written since the last poll (everything the rings
  // hold, on the first) to out, each ring's oldest first; the rings are not merged.
  // Returns how many events it appended.
  std::size_t poll(std::vector<Event>& out);

  // lost() is the number of events overwritten before a poll() could read them.
  uint64_t lost() const { return lost_; }

  // state() is the process state the arena records now (arena::ProcessState).
  arena::ProcessState state() const;

  const ArenaFile& file() const { return file_; }

 private:
  // remap() takes a new checked copy of the header, and maps the file again when the
  // process has grown it (a ring made for a worker that started later lies beyond the
  // old mapping).
  void remap();

  ArenaFile file_;
  std::vector<uint64_t> next_;  // per ring: the next event index to read
  uint64_t lost_ = 0;
};

}  // namespace gleak::inspector
