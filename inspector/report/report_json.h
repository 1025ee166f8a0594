// inspector/report/report_json.h — a Snapshot as JSON, for tools: the "gleak.snapshot" schema.
//
// The schema is specified in docs/json-schema.md; its version is
// Snapshot::kSchemaVersion. Adding fields keeps the version; removing or renaming one,
// or changing its type or meaning, bumps it.
#pragma once

#include <string>

#include "inspector/report/report_text.h"
#include "inspector/snapshot.h"

namespace gleak::inspector {

// to_json() prints s as one pretty-printed JSON object: two-space indent, fields in the
// documented order, no trailing newline (like nlohmann::json::dump()). Every goroutine
// is included, free and dead ones too, with all its frames (Frame::runtime says which
// ones a text dump would hide). opt.group adds "buckets", grouped as format_dump()
// groups them, with frames hidden as opt.all_frames says; opt.exact changes nothing
// (durations are always in nanoseconds). Strings that are not valid UTF-8 have the bad
// bytes replaced by U+FFFD.
std::string to_json(const Snapshot& s, const TextOptions& opt);

}  // namespace gleak::inspector
