// inspector/report/gate_report.h — the verdict of `gleak run` as text, JSON and JUnit
// XML, and as a baseline file (`gleak baseline`).
#pragma once

#include <string>

#include "inspector/analyse/gate.h"

namespace gleak::inspector {

// format_gate() is the report as text.
std::string format_gate(const GateResult& r, const GateOptions& opt);
// gate_to_json() is the report as JSON (schema "gleak.run", docs/json-schema.md).
std::string gate_to_json(const GateResult& r, const GateOptions& opt);
// gate_to_junit() is the report as JUnit XML: one test case per finding.
std::string gate_to_junit(const GateResult& r, const GateOptions& opt);

// format_baseline() is a baseline file listing the signatures of r's findings that
// fail without one (leaks; with strict, goroutines left).
std::string format_baseline(const GateResult& r, const GateOptions& opt);

}  // namespace gleak::inspector
