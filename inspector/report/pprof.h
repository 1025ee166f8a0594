// inspector/report/pprof.h — a Snapshot as a pprof goroutine profile: the protobuf format of
// github.com/google/pprof (inspector/proto/profile.proto), gzip-compressed, that
// `go tool pprof` reads (-top, -traces, -http ...).
//
// Like Go's /debug/pprof/goroutine, the profile has one sample type, `goroutine`
// counted in `count`, and one sample per distinct stack — here per distinct stack and
// label set: each sample carries the labels
//
//   state        runnable, running, waiting, syscall (arena::goroutine_state_name())
//   wait_reason  Go's words (`chan receive`, `sync.Mutex.Lock`...), waiting goroutines only
//   leaked       "true" on goroutines proven leaked (Goroutine::leaked), else absent
//
// so `-tagfocus=wait_reason=chan.receive` or `-tags` slice the profile by them.
//
// Frames are those a text dump prints (without gleak's runtime frames unless
// TextOptions::all_frames). Inlined frames share their caller's location, innermost
// line first, as pprof expects. A goroutine without a visible frame (its stack was
// not read, or holds only runtime frames) gets one frame named after why, e.g.
// `(stack unavailable: running; not stopped, so its stack was not read)`, so that
// every goroutine is counted. Every mapping says it has functions, file names, line
// numbers and inlined frames: pprof then uses the names as they are and looks for no
// binary to symbolize them with.
#pragma once

#include <cstdio>
#include <string>

#include "inspector/report/report_text.h"
#include "inspector/snapshot.h"

namespace gleak::inspector {

// goroutine_profile() is s as a serialized, uncompressed perftools.profiles.Profile.
std::string goroutine_profile(const Snapshot& s, const TextOptions& opt);

// goroutine_profile_text() is the profile as Go's /debug/pprof/goroutine?debug=1 writes
// it: "goroutine profile: total N", then one entry per distinct stack and label set,
// most goroutines first — "count @ pc pc ...", "# labels: {...}" when it has labels,
// and a "#\tpc\tfunction+offset\tfile:line" line per frame.
std::string goroutine_profile_text(const Snapshot& s, const TextOptions& opt);

// gzip() compresses bytes as a gzip member (what pprof reads from disk).
std::string gzip(const std::string& bytes);

// gunzip() is the inverse of gzip(); throws InspectError(kCorrupt) on bad input.
std::string gunzip(const std::string& bytes);

// write_goroutine_profile() writes gzip(goroutine_profile(s, opt)) to out; throws
// InspectError(kIo) when writing fails.
void write_goroutine_profile(const Snapshot& s, const TextOptions& opt, std::FILE* out);

}  // namespace gleak::inspector
