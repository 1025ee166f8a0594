// inspector/report/leaks_report.cc — a LeakAnalysis as text and as JSON (see leaks.h).
#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "inspector/report/leaks_report.h"

namespace gleak::inspector {

namespace {

using Json = nlohmann::ordered_json;

std::string where(const Frame& f) {
  std::string name = f.function.empty() ? "??" : f.function;
  if (!f.file.empty()) return name + " at " + f.file + ":" + std::to_string(f.line);
  return name;
}

// describe() names a wait target: kind, id, address, creation site and state.
std::string describe(const Snapshot& s, const WaitTarget& t) {
  if (t.object < 0) return "object at " + format_hex(t.address) + " (not in the object table)";
  const Object& o = s.objects[static_cast<std::size_t>(t.object)];
  std::string d = std::string(arena::object_kind_name(o.kind)) + " " + std::to_string(o.id) + " at " + format_hex(o.address);
  if (o.kind == arena::ObjectKind::kChannel) {
    d += o.word0 == 0 ? " (unbuffered" : " (buffered " + std::to_string(o.word1) + "/" + std::to_string(o.word0);
    d += (o.flags & arena::kObjectClosed) ? ", closed)" : ", open)";
  } else if (o.kind == arena::ObjectKind::kWaitGroup) {
    d += " (counter " + std::to_string(static_cast<int64_t>(o.word0)) + ")";
  }
  if (o.created_at) d += ", made by " + where(*o.created_at);
  if (o.creator != 0) d += " in goroutine " + std::to_string(o.creator);
  return d;
}

std::string status_of(const Snapshot& s, uint64_t id) {
  const Goroutine* g = s.goroutine(id);
  return g ? goroutine_status(*g) : "exited";
}

// proof_lines() is the proof under a finding, indented.
std::string proof_lines(const Snapshot& s, const LeakVerdict& f) {
  std::string out = "  why: " + f.reason + "\n";
  for (const WaitTarget& t : f.waits) {
    out += "  waits on: " + describe(s, t) + "\n";
    if (t.owner != 0) {
      out += "    locked by goroutine " + std::to_string(t.owner) +
             (t.owner == f.goroutine ? " itself" : " [" + status_of(s, t.owner) + "]") + "\n";
    }
    if (f.check == CheckId::kNoExitPath) {
      std::string held;
      if (t.held_by_self) held = "itself";
      for (uint64_t h : t.holders) {
        held += (held.empty() ? "" : ", ") + std::string("goroutine ") + std::to_string(h) + " [" + status_of(s, h) + "]";
      }
      out += "    referred to by: " + (held.empty() ? std::string("no goroutine") : held) + "\n";
    }
    for (const std::string& st : t.stale) out += "    not counted: " + st + "\n";
  }
  return out;
}

Json target_json(const Snapshot& s, const WaitTarget& t) {
  Json j{{"address", format_hex(t.address)}, {"reachable", t.reachable}, {"stale_copies", t.stale}};
  if (t.object >= 0) {
    const Object& o = s.objects[static_cast<std::size_t>(t.object)];
    j["kind"] = arena::object_kind_name(o.kind);
    j["id"] = o.id;
    j["creator"] = o.creator;
    j["created_at"] = o.created_at ? Json{{"function", o.created_at->function}, {"file", o.created_at->file},
                                          {"line", o.created_at->line}}
                                   : Json(nullptr);
    j["closed"] = (o.flags & arena::kObjectClosed) != 0;
  } else {
    j["kind"] = t.address == 0 ? "nil" : "unknown";
  }
  j["owner"] = t.owner;
  j["held_by_self"] = t.held_by_self;
  j["holders"] = t.holders;
  return j;
}

const char* certainty_name(Certainty c) { return c == Certainty::kProven ? "proven" : "suspected"; }

}  // namespace

std::string format_leaks(const Snapshot& s, const LeakAnalysis& r, const TextOptions& opt) {
  std::string out;
  std::size_t proven = r.count(Certainty::kProven), suspected = r.count(Certainty::kSuspected);
  out += "# " + std::to_string(proven) + " goroutine" + (proven == 1 ? "" : "s") + " leaked (proven), " +
         std::to_string(suspected) + " suspected, " + std::to_string(r.cycles.size()) + " deadlock cycle" +
         (r.cycles.size() == 1 ? "" : "s") + "\n";
  for (const std::string& n : r.notes) out += "# note: " + n + "\n";
  if (r.findings.empty()) return out;

  // Group like a dump (same stack, status and creation site), per certainty and check
  // (different checks are different proofs); the proof shown is the first member's.
  std::map<std::pair<Certainty, std::string>, Snapshot> parts;
  for (const Goroutine& g : s.goroutines) {
    if (const LeakVerdict* f = r.find(g.id)) parts[{f->certainty, check_name(f->check)}].goroutines.push_back(g);
  }
  TextOptions grouped = opt;
  grouped.group = true;
  for (const auto& [key, sub] : parts) {
    for (const Bucket& b : group_goroutines(sub, grouped)) {
      if (b.members.empty()) continue;
      out += std::string("\n") + (key.first == Certainty::kProven ? "leaked" : "suspected") + " (" + key.second + "):\n";
      out += format_bucket(b, sub, opt);
      out += proof_lines(s, *r.find(b.members.front()->id));
      if (b.members.size() > 1) {
        std::size_t others = b.members.size() - 1;
        out += "  (the proof of goroutine " + std::to_string(b.members.front()->id) +
               (others == 1 ? "; the other one is alike)\n" : "; the other " + std::to_string(others) + " are alike)\n");
      }
    }
  }

  for (std::size_t k = 0; k < r.cycles.size(); ++k) {
    const DeadlockCycle& cy = r.cycles[k];
    out += "\ndeadlock cycle " + std::to_string(k + 1) + " (" + std::to_string(cy.steps.size()) + " goroutines):\n";
    for (const CycleStep& st : cy.steps) {
      const Goroutine* g = s.goroutine(st.goroutine);
      std::string fn = g ? innermost_own_function(*g) : "";
      out += "  goroutine " + std::to_string(st.goroutine) + (fn.empty() ? "" : " in " + fn) + "\n";
      out += "    waits for " + describe(s, st.waits_for) + "\n";
      out += "    which goroutine " + std::to_string(st.blocked_by) +
             (st.by_lock_owner ? " has locked" : " refers to (and no goroutine that can run does)") + "\n";
    }
  }
  return out;
}

std::string leaks_to_json(const Snapshot& s, const LeakAnalysis& r, const TextOptions& opt) {
  Json j;
  j["schema"] = "gleak.leaks";
  j["version"] = 1;
  j["pid"] = s.pid;
  j["memory_analysed"] = r.memory_analysed;
  j["complete"] = r.complete;
  j["proven"] = r.count(Certainty::kProven);
  j["suspected"] = r.count(Certainty::kSuspected);
  Json findings = Json::array();
  for (const LeakVerdict& f : r.findings) {
    const Goroutine* g = s.goroutine(f.goroutine);
    Json waits = Json::array();
    for (const WaitTarget& t : f.waits) waits.push_back(target_json(s, t));
    Json created = Json(nullptr);
    if (g && g->created_by) {
      created = Json{{"function", g->created_by->function}, {"file", g->created_by->file}, {"line", g->created_by->line}};
    }
    findings.push_back(Json{{"goroutine", f.goroutine},
                            {"certainty", certainty_name(f.certainty)},
                            {"check", check_name(f.check)},
                            {"reason", f.reason},
                            {"status", g ? goroutine_status(*g) : ""},
                            {"wait_reason", g ? arena::wait_reason_name(g->wait_reason) : ""},
                            {"wait_ns", g ? g->wait_ns : -1},
                            {"function", g ? innermost_own_function(*g) : ""},
                            {"created_by", created},
                            {"parent_id", g ? g->parent_id : 0},
                            {"waits", waits}});
  }
  j["findings"] = findings;
  Json cycles = Json::array();
  for (const DeadlockCycle& cy : r.cycles) {
    Json steps = Json::array();
    for (const CycleStep& st : cy.steps) {
      steps.push_back(Json{{"goroutine", st.goroutine},
                           {"waits_for", target_json(s, st.waits_for)},
                           {"blocked_by", st.blocked_by},
                           {"by_lock_owner", st.by_lock_owner}});
    }
    cycles.push_back(Json{{"steps", steps}});
  }
  j["cycles"] = cycles;
  j["can_run"] = r.can_run;
  j["notes"] = r.notes;
  j["stats"] = Json{{"bytes_scanned", r.bytes_scanned},
                    {"heap_blocks", r.heap_blocks},
                    {"heap_blocks_marked", r.heap_blocks_marked},
                    {"analysis_ns", r.analysis_ns},
                    {"stopped_ns", s.stopped_ns},
                    {"memory_from_copy", s.memory_from_copy}};
  // The text report too: a program that asked for its own analysis (gleak::find_leaks)
  // prints it without the inspector's formatting code.
  j["text"] = format_leaks(s, r, opt);
  return j.dump(2);
}

std::string format_why(const Snapshot& s, const LeakAnalysis& r) {
  (void)s;
  if (!r.why) return "# why: the target's memory was not analysed (a dead process, or this one): nothing to explain\n";
  const WhyAlive& w = *r.why;
  std::string out = "# why goroutine " + std::to_string(w.goroutine) + ": " + w.summary + "\n";
  for (std::size_t k = 0; k < w.path.size(); ++k) {
    out += std::string(k == 0 ? "  " : "  -> ") + w.path[k].what + "\n";
  }
  return out;
}

std::string why_to_json(const Snapshot& s, const LeakAnalysis& r) {
  Json j;
  j["schema"] = "gleak.why";
  j["version"] = 1;
  j["pid"] = s.pid;
  j["memory_analysed"] = r.memory_analysed;
  if (r.why) {
    j["goroutine"] = r.why->goroutine;
    j["leaked"] = r.why->leaked;
    j["summary"] = r.why->summary;
    Json path = Json::array();
    for (const WhyStep& st : r.why->path) path.push_back(Json{{"what", st.what}, {"address", st.address}});
    j["path"] = path;
  }
  return j.dump(2);
}

}  // namespace gleak::inspector
