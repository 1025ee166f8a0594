// inspector/report/report_json.cc — see inspector/report/report_json.h; the schema is in
// docs/json-schema.md, which must change with this file.
#include "inspector/report/report_json.h"

#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

namespace gleak::inspector {
namespace {

// ordered_json keeps fields in the order they are added: the order the schema
// documents, and stable golden files.
using Json = nlohmann::ordered_json;

const char* source_name(Source s) {
  switch (s) {
    case Source::kSelf: return "self";
    case Source::kLiveProcess: return "live_process";
    case Source::kDeadProcess: return "dead_process";
    case Source::kFile: return "file";
  }
  return "unknown";
}

const char* event_kind_name(arena::EventKind k) {
  switch (k) {
    case arena::EventKind::kSpawn: return "spawn";
    case arena::EventKind::kPark: return "park";
    case arena::EventKind::kUnpark: return "unpark";
    case arena::EventKind::kExit: return "exit";
    case arena::EventKind::kPanic: return "panic";
    case arena::EventKind::kRecover: return "recover";
    case arena::EventKind::kJoin: return "join";
  }
  return "unknown";
}

Json wait_reason_json(WaitReason r) {
  if (r == WaitReason::kNone) return nullptr;
  return arena::wait_reason_name(r);
}

Json frame_json(const Frame& f) {
  return Json{{"pc", format_hex(f.pc)},
              {"function", f.function},
              {"file", f.file},
              {"line", f.line},
              {"offset", f.offset},
              {"module", f.module},
              {"runtime", f.runtime}};
}

Json optional_frame_json(const std::optional<Frame>& f) { return f ? frame_json(*f) : Json(nullptr); }

Json frames_json(const std::vector<Frame>& frames) {
  Json out = Json::array();
  for (const Frame& f : frames) out.push_back(frame_json(f));
  return out;
}

Json labels_json(const Goroutine& g) {
  Json out = Json::object();
  for (const auto& [k, v] : g.labels) out[k] = v;
  return out;
}

Json goroutine_json(const Goroutine& g) {
  return Json{{"id", g.id},
              {"parent_id", g.parent_id},
              {"state", arena::goroutine_state_name(g.state)},
              {"status", goroutine_status(g)},
              {"wait_reason", wait_reason_json(g.wait_reason)},
              {"wait_object", format_hex(g.wait_object)},
              {"wait_ns", g.wait_ns},
              {"worker", g.worker},
              {"unparked_by", g.unparked_by},
              {"recovered_panics", g.recovered_panics},
              {"age_ns", g.age_ns},
              {"create_pc", format_hex(g.create_pc)},
              {"created_by", optional_frame_json(g.created_by)},
              {"stack", frames_json(g.stack.frames())},
              {"stack_note", g.stack_note},
              {"torn", g.torn},
              {"crashed", g.crashed},
              {"leaked", g.leaked},
              {"labels", labels_json(g)}};
}

Json object_json(const Object& o) {
  return Json{{"id", o.id},
              {"kind", arena::object_kind_name(o.kind)},
              {"address", format_hex(o.address)},
              {"creator", o.creator},
              {"create_pc", format_hex(o.create_pc)},
              {"created_at", optional_frame_json(o.created_at)},
              {"word0", o.word0},
              {"word1", o.word1},
              {"flags", o.flags},
              {"closed", (o.flags & arena::kObjectClosed) != 0}};
}

Json event_json(const Event& e) {
  Json j{{"time_ns", e.time_ns},     {"worker", e.worker}, {"kind", event_kind_name(e.kind)},
         {"goroutine", e.goroutine}, {"arg", e.arg},       {"aux", e.aux}};
  if (e.kind == arena::EventKind::kPark) j["wait_reason"] = wait_reason_json(static_cast<WaitReason>(e.aux));
  return j;
}

Json ancestors_json(const Crash& c) {
  if (!c.chain_recorded) return nullptr;
  Json out = Json::array();
  for (const Ancestor& a : c.ancestors) {
    out.push_back(Json{{"goroutine", a.goroutine},
                       {"parent_id", a.parent_id},
                       {"create_pc", format_hex(a.create_pc)},
                       {"created_by", optional_frame_json(a.created_by)}});
  }
  return out;
}

Json crash_json(const Crash& c) {
  return Json{{"goroutine", c.goroutine},
              {"signal", c.signal},
              {"tid", c.tid},
              {"fault_address", format_hex(c.fault_address)},
              {"message", c.message},
              {"exception_type", c.exception_type},
              {"stack", frames_json(c.stack.frames())},
              {"time_ns", c.time_ns},
              {"ancestors", ancestors_json(c)},
              {"ancestor_gone", c.ancestor_gone}};
}

Json recovered_json(const RecoveredPanic& r) {
  return Json{{"index", r.index},
              {"goroutine", r.goroutine},
              {"time_ns", r.time_ns},
              {"message", r.message},
              {"truncated", r.truncated},
              {"type", r.type},
              {"thrown_at", optional_frame_json(r.thrown_at)},
              {"recovered_in", optional_frame_json(r.recovered_in)},
              {"stack", frames_json(r.stack.frames())}};
}

Json bucket_json(const Bucket& b) {
  Json ids = Json::array();
  for (const Goroutine* g : b.members) ids.push_back(g->id);
  Json parents = Json::array();
  for (uint64_t p : b.parent_ids) parents.push_back(p);
  return Json{{"count", b.members.size()},
              {"ids", ids},
              {"status", b.status},
              {"torn", b.torn},
              {"crashed", b.crashed},
              {"stack", frames_json(b.stack)},
              {"stack_note", b.stack_note},
              {"stack_hidden", b.stack_hidden},
              {"created_by", optional_frame_json(b.created_by)},
              {"parent_ids", parents},
              {"min_wait_ns", b.min_wait_ns},
              {"max_wait_ns", b.max_wait_ns},
              {"labels", b.members.empty() ? Json::object() : labels_json(*b.members.front())}};
}

}  // namespace

std::string to_json(const Snapshot& s, const TextOptions& opt) {
  Json j;
  j["schema"] = "gleak.snapshot";
  j["version"] = Snapshot::kSchemaVersion;
  j["source"] = source_name(s.source);
  j["pid"] = s.pid;
  j["exe"] = s.exe;
  j["cmdline"] = s.cmdline;
  j["arena_path"] = s.arena_path;
  j["state"] = process_state_name(s.state);
  j["procs"] = s.procs;
  j["start_realtime_ns"] = s.start_realtime_ns;
  j["taken_monotonic_ns"] = s.taken_monotonic_ns;
  j["stopped_ns"] = s.stopped_ns;
  j["memory_from_copy"] = s.memory_from_copy;
  j["consistent"] = s.consistent;
  j["arena_incomplete"] = s.arena_incomplete;
  j["crash"] = s.crash ? crash_json(*s.crash) : Json(nullptr);
  Json goroutines = Json::array();
  for (const Goroutine& g : s.goroutines) goroutines.push_back(goroutine_json(g));
  j["goroutines"] = std::move(goroutines);
  Json objects = Json::array();
  for (const Object& o : s.objects) objects.push_back(object_json(o));
  j["objects"] = std::move(objects);
  Json events = Json::array();
  for (const Event& e : s.events) events.push_back(event_json(e));
  j["events"] = std::move(events);
  j["events_lost"] = s.events_lost;
  Json recovered = Json::array();
  for (const RecoveredPanic& r : s.recovered) recovered.push_back(recovered_json(r));
  j["recovered_panics"] = std::move(recovered);
  j["recovered_lost"] = s.recovered_lost;
  j["totals"] = {{"goroutines_created", s.totals.goroutines_created},
                 {"goroutines_exited", s.totals.goroutines_exited},
                 {"events_written", s.totals.events_written},
                 {"events_overwritten", s.totals.events_overwritten},
                 {"panics_recovered", s.totals.panics_recovered}};
  j["warnings"] = s.warnings;
  if (opt.group) {
    Json buckets = Json::array();
    for (const Bucket& b : group_goroutines(s, opt)) buckets.push_back(bucket_json(b));
    j["buckets"] = std::move(buckets);
  }
  // Symbol names, paths and messages come from the target and need not be UTF-8.
  return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace gleak::inspector
