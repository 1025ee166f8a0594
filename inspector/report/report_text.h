// inspector/report/report_text.h — a Snapshot as text, in the shape of Go's goroutine dump.
//
// format_dump() prints what Go prints for `GOTRACEBACK=all` (runtime/traceback.go,
// goroutineheader and printcreatedby1), so that eyes and tools trained on Go dumps read
// it unchanged:
//
//   goroutine 7 [chan send, 3 minutes]:
//   worker(gleak::Chan<int>&)
//   	/src/app.cc:42 +0x1f
//   created by main in goroutine 1
//   	/src/app.cc:80 +0x9c
//
// Where Go has no rule, gleak's choices are:
//
// - Status: `running`, `runnable`, `syscall`, or for a waiting goroutine its wait
//   reason (wait_reason_name(); `waiting` when it has none), followed by ` (leaked)`
//   when the goroutine is proven leaked (Goroutine::leaked), as Go's leak profile does. The goroutine that crashed
//   is `running`. A torn record adds `, record torn` after the duration, where Go puts
//   `, locked to thread`.
// - Duration: as Go, `, N minutes` (whole minutes, rounded down) for a goroutine that
//   is waiting or in a syscall for at least a minute; Go prints `1 minutes`, and so do
//   we. With TextOptions::exact, every such goroutine with a known wait shows
//   format_duration() instead, from 0 seconds up.
// - Frame: the function as symbolized (`??` when unknown), then a tab and the location:
//   `file:line`, else the module, else the pc in hex, else `??`; then ` +0x<offset>`
//   unless the offset is 0 (inlined frames). This is the runtime's own crash report's
//   rule (core/crash.cc), so both print a frame alike.
// - Frames with Frame::runtime are hidden unless TextOptions::all_frames, as Go hides
//   runtime frames below GOTRACEBACK=system. When every frame is hidden the stack
//   prints `\t(runtime frames only)`.
// - Missing stack: `\t(stack unavailable: <stack_note>)` (without the note when there is
//   none); a partial stack (frames and a note) ends with `\t(stack incomplete: <note>)`.
// - Creation: `created by <function> in goroutine <parent>` and the location line;
//   ` in goroutine N` is left out when the parent is 0 (a plain thread). A goroutine
//   with no symbolized created_by but a parent or a create_pc prints `created by ??`
//   with the pc as its location; one with neither prints no `created by` (Go's
//   goroutine 1).
// - Which goroutines: every one except the states `free` and `dead` (Go skips dead
//   goroutines too), sorted by id. A blank line separates them; the dump ends with one
//   newline. No process header and no warnings: those are the caller's (the CLI's).
// - Crash first: when the snapshot has a crash, the dump starts with the crash message
//   exactly as stored (it may span several lines; trailing newlines are dropped, and a
//   record without a message gets a `fatal error: ...` stand-in) and a blank line, then
//   the crashed goroutine as `goroutine N [running]:` with its own stack, or the crash
//   record's stack when its own is empty, then the others. The crashed goroutine is
//   the one marked Goroutine::crashed, else the one Crash::goroutine names. A crash on
//   a plain thread prints `thread <tid> [running]:` and the crash stack, as the
//   runtime's own report does (a crashed goroutine missing from the snapshot likewise
//   prints `goroutine N [running]:` and the crash stack).
//
// Grouping (TextOptions::group) buckets goroutines like maruel/panicparse: same status
// (without duration, torn or not), same visible stack and stack_note, same creation
// site (the parent may differ). A frame is
// the same when its function, file and line are; a frame without line information
// compares by function, module and offset, and one without a function by pc. Buckets
// print largest first, ties by lowest goroutine id; the crashed goroutine is never
// grouped and stays first. A bucket of several prints
//
//   3 goroutines [chan receive, 1~3 minutes]:
//   <frames and created-by of its lowest id, as above>
//   goroutines: 3 4 9
//
// - the duration is the range of the members' whole minutes (`0~3 minutes` when some
//   waited less than one), a single value when all agree, and left out when none
//   waited a minute; with exact, the range of format_duration() over the members with
//   a known wait (`850ms~2m13.4s`).
// - `in goroutine N` names the parent when all members share it, else lists the
//   distinct parents (`in goroutines 1 5`), or counts them past ten
//   (`in 12 goroutines`).
// - the last line lists the member ids, all of them up to ten, else the ten lowest and
//   `... (N more)`.
// A bucket of one prints exactly as the goroutine would ungrouped: it is Go's format
// and names the id in its header.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "inspector/snapshot.h"

namespace gleak::inspector {

// TextOptions are what the reports can be asked for; to_json() reads group and
// all_frames.
struct TextOptions {
  bool exact = false;       // exact wait durations: "chan send, 2m13.4s" instead of Go's "chan send, 3 minutes"
  bool group = false;       // bucket identical goroutines, like panicparse
  bool all_frames = false;  // also print frames with Frame::runtime == true
};

// format_dump() prints the whole snapshot as described above.
std::string format_dump(const Snapshot& s, const TextOptions& opt);

// write_dump() writes the same text to out piece by piece (a dump of a million
// goroutines is never built in memory) and flushes it; false if a write failed.
bool write_dump(const Snapshot& s, const TextOptions& opt, std::FILE* out);

// format_goroutine_header() is one goroutine's first line, e.g.
// "goroutine 7 [chan send, 3 minutes]:", without a newline.
std::string format_goroutine_header(const Goroutine& g, const TextOptions& opt);

// format_labels() is g's labels as the header shows them, `{"k":"v", "k2":"v2"}`
// (after `labels: `, last in the brackets); "" when it has none.
std::string format_labels(const Goroutine& g);

// goroutine_status() is the status word of the header: `running`, `runnable`,
// `syscall`, the wait reason of a waiting goroutine, `waiting` when it has none, or the
// state's name (`free`, `dead`). A crashed goroutine is `running`.
std::string goroutine_status(const Goroutine& g);

// format_duration() prints ns like Go's time.Duration.String, rounded for reading:
// below one second to the millisecond ("850ms"; "0s" when that rounds to 0), from one
// second to the tenth of a second, half up ("2.5s", "2m13.4s", "1h2m3s", "1h0m0s";
// a zero tenth is not printed). 999.6ms rounds to "1s" and 59.96s to "1m0s".
// Negative ns prints as "0s".
std::string format_duration(int64_t ns);

// Bucket is one group of goroutines that look the same in a grouped dump.
struct Bucket {
  std::vector<const Goroutine*> members;  // by id; empty when the crash record has no goroutine here
  std::string status;                     // goroutine_status() of the members
  bool torn = false;                      // the members' records are torn
  bool crashed = false;                   // the crashed goroutine (or thread), alone
  std::vector<Frame> stack;               // visible frames of the lowest id
  std::string stack_note;                 // its stack_note
  bool stack_hidden = false;              // it has frames, all of them hidden
  std::optional<Frame> created_by;        // of the lowest id (synthesized from create_pc if needed)
  std::vector<uint64_t> parent_ids;       // distinct parents of the members, ascending
  int64_t min_wait_ns = -1;               // over members with a known wait; -1: none
  int64_t max_wait_ns = -1;
};

// group_goroutines() buckets the goroutines format_dump() would print: the crashed one
// first, alone, then the buckets largest first, ties by lowest id. The buckets point
// into s, which must outlive them (hence no temporaries).
std::vector<Bucket> group_goroutines(const Snapshot& s, const TextOptions& opt);
std::vector<Bucket> group_goroutines(const Snapshot&& s, const TextOptions& opt) = delete;

// format_hex() prints an address or offset as the reports do: "0x7f12ab".
std::string format_hex(uint64_t v);

// format_bucket() prints one bucket as format_dump() does.
std::string format_bucket(const Bucket& b, const Snapshot& s, const TextOptions& opt);

}  // namespace gleak::inspector
