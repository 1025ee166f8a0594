// inspector/report/leaks_report.h — the leak analysis's findings as text and JSON
// (`gleak leaks`, `gleak leaks --why`).
#pragma once

#include <string>

#include "inspector/analyse/leaks.h"
#include "inspector/report/report_text.h"
#include "inspector/snapshot.h"

namespace gleak::inspector {

// format_leaks() prints the findings: identical leaks grouped (same stack, wait and
// creation site) with the proof under each group, then the cycles jstack-style.
std::string format_leaks(const Snapshot& s, const LeakAnalysis& r, const TextOptions& opt);

// leaks_to_json() is the same as JSON (schema "gleak.leaks", docs/json-schema.md).
std::string leaks_to_json(const Snapshot& s, const LeakAnalysis& r, const TextOptions& opt);

// format_why() and why_to_json() print LeakAnalysis::why (schema "gleak.why").
std::string format_why(const Snapshot& s, const LeakAnalysis& r);
std::string why_to_json(const Snapshot& s, const LeakAnalysis& r);

}  // namespace gleak::inspector
