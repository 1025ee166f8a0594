// inspector/report/gate_report.cc — the reports of `gleak run`: text, JSON, JUnit XML and
// baseline files (see gate.h).
#include <nlohmann/json.hpp>

#include <string>

#include "inspector/report/gate_report.h"

namespace gleak::inspector {
namespace {

using Json = nlohmann::ordered_json;

// fails() says whether a finding counts against the gate.
bool fails(const GateFinding& f, const GateOptions& opt) {
  if (f.in_baseline) return false;
  return f.kind != FindingKind::kLeft || opt.strict;
}

// reported() says whether a finding is worth a test case: it fails, or would fail
// without the baseline.
bool reported(const GateFinding& f, const GateOptions& opt) { return f.kind != FindingKind::kLeft || opt.strict; }

std::string command_line(const GateResult& r) {
  std::string out;
  for (const std::string& a : r.command) out += (out.empty() ? "" : " ") + a;
  return out;
}

const char* verdict(int code) {
  switch (code) {
    case kGateClean: return "PASS";
    case kGateCommandFailed: return "FAIL: the command failed";
    case kGateNotRun: return "FAIL: the command could not be run";
    case kGateLeaks: return "FAIL: goroutine leaks proven";
    case kGateDeadlock: return "FAIL: deadlock";
    case kGatePanic: return "FAIL: panic";
    case kGateLeft: return "FAIL: goroutines left at exit (--strict)";
  }
  return "FAIL";
}

// case_name() names a finding's test case by its signature, so that a CI server
// tracks the same bug under the same name from run to run.
std::string case_name(const GateFinding& f) {
  if (f.kind == FindingKind::kPanic || f.kind == FindingKind::kDeadlock) {
    std::string line = f.message.substr(0, f.message.find('\n'));
    return line + (f.function.empty() ? "" : " in " + f.function);
  }
  std::string out = f.function.empty() ? "goroutine" : f.function;
  out += " [" + f.wait_reason + "]";
  if (!f.created_by.empty()) out += " created by " + f.created_by;
  return out;
}

// xml() escapes text for XML 1.0, where most control characters may not appear at all.
std::string xml(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace

std::string format_gate(const GateResult& r, const GateOptions& opt) {
  std::string out;
  if (!r.started) {
    out += "gleak run: " + r.error + "\n";
  } else {
    out += "gleak run: `" + command_line(r) + "` exited with status " + std::to_string(r.command_status) + "\n";
  }
  for (const GateProcess& p : r.processes) {
    out += "gleak run: pid " + std::to_string(p.pid) + " " + p.program + ": ";
    if (p.crashed) {
      out += "crashed";
    } else if (p.checked_at_exit) {
      out += "checked at exit: " + std::to_string(p.goroutines_left) + " goroutine(s) left, " +
             std::to_string(p.leaks_proven) + " proven leaked";
    } else {
      out += "not checked: " + p.note;
    }
    out += "\n";
  }
  for (const std::string& w : r.warnings) out += "gleak run: warning: " + w + "\n";
  for (const GateFinding& f : r.findings) {
    const char* tag = f.in_baseline ? "known (in the baseline)" : fails(f, opt) ? "FAIL" : "not failing without --strict";
    out += "\n=== " + std::string(finding_kind_name(f.kind)) + " in pid " + std::to_string(f.pid) + ": " + f.summary +
           " — " + tag + "\n";
    out += "signature: " + f.signature + "\n\n";
    out += f.details;
    if (!f.details.empty() && f.details.back() != '\n') out += "\n";
  }
  out += "\ngleak run: " + std::string(verdict(r.exit_code)) + " (exit " + std::to_string(r.exit_code) + ")\n";
  return out;
}

std::string gate_to_json(const GateResult& r, const GateOptions& opt) {
  Json j;
  j["schema"] = "gleak.run";
  j["version"] = 1;
  j["command"] = r.command;
  j["started"] = r.started;
  if (!r.started) j["error"] = r.error;
  j["command_status"] = r.command_status;
  j["strict"] = opt.strict;
  j["exit_code"] = r.exit_code;
  j["verdict"] = verdict(r.exit_code);
  Json procs = Json::array();
  for (const GateProcess& p : r.processes) {
    procs.push_back(Json{{"pid", p.pid},
                         {"program", p.program},
                         {"checked_at_exit", p.checked_at_exit},
                         {"crashed", p.crashed},
                         {"goroutines_left", p.goroutines_left},
                         {"leaks_proven", p.leaks_proven},
                         {"note", p.note}});
  }
  j["processes"] = procs;
  Json findings = Json::array();
  for (const GateFinding& f : r.findings) {
    findings.push_back(Json{{"kind", finding_kind_name(f.kind)},
                            {"fails", fails(f, opt)},
                            {"in_baseline", f.in_baseline},
                            {"pid", f.pid},
                            {"program", f.program},
                            {"signature", f.signature},
                            {"summary", f.summary},
                            {"goroutines", f.goroutines},
                            {"wait_reason", f.wait_reason},
                            {"function", f.function},
                            {"created_by", f.created_by},
                            {"message", f.message},
                            {"details", f.details}});
  }
  j["findings"] = findings;
  j["warnings"] = r.warnings;
  return j.dump(2);
}

std::string gate_to_junit(const GateResult& r, const GateOptions& opt) {
  int tests = 0, failures = 0, skipped = 0;
  std::string cases;
  for (const GateFinding& f : r.findings) {
    if (!reported(f, opt)) continue;
    ++tests;
    cases += "    <testcase classname=\"gleak." + std::string(finding_kind_name(f.kind)) + "\" name=\"" + xml(case_name(f)) + "\">\n";
    if (f.in_baseline) {
      ++skipped;
      cases += "      <skipped message=\"known (in the baseline)\"/>\n";
      cases += "      <system-out>" + xml(f.summary + "\n\n" + f.details) + "</system-out>\n";
    } else {
      ++failures;
      cases += "      <failure type=\"" + std::string(finding_kind_name(f.kind)) + "\" message=\"" +
               xml("pid " + std::to_string(f.pid) + ": " + f.summary) + "\">" + xml(f.details) + "</failure>\n";
    }
    cases += "    </testcase>\n";
  }
  // A clean run is one passing case, so that the suite is never empty.
  if (tests == 0 || !r.started || r.command_status != 0) {
    ++tests;
    cases += "    <testcase classname=\"gleak.run\" name=\"" + xml(command_line(r)) + "\">\n";
    if (!r.started || r.command_status != 0) {
      ++failures;
      std::string why = r.started ? "exited with status " + std::to_string(r.command_status) : r.error;
      cases += "      <failure type=\"command\" message=\"" + xml(why) + "\"/>\n";
    }
    cases += "    </testcase>\n";
  }
  std::string counts = " tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
                       "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"gleak run\"" + counts + ">\n";
  out += "  <testsuite name=\"gleak run: " + xml(command_line(r)) + "\"" + counts + ">\n";
  out += cases;
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string format_baseline(const GateResult& r, const GateOptions& opt) {
  std::string out =
      "# gleak baseline: `gleak run --baseline FILE` reports these findings but does not fail on them.\n"
      "# One signature per line: kind, wait reason, created by, blocked in (separated by tabs).\n";
  std::set<std::string> seen;
  for (const GateFinding& f : r.findings) {
    if (f.kind == FindingKind::kPanic || f.kind == FindingKind::kDeadlock) continue;
    if (f.kind == FindingKind::kLeft && !opt.strict) continue;
    if (seen.insert(f.signature).second) out += f.signature + "\n";
  }
  return out;
}

}  // namespace gleak::inspector
