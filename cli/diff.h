// cli/diff.h — `gleak diff A B`: how the goroutines of two moments differ, bucket by
// bucket, which is how a slow leak shows itself in production.
#pragma once

#include <string>

namespace gleak::cli {

// run_diff() compares a and b (each a pid, an arena file, or a `gleak dump --json`
// file) and prints which buckets of identical goroutines grew, are new, shrank or went
// away; returns the exit status. Throws InspectError when one cannot be read.
int run_diff(const std::string& a, const std::string& b, bool json);

}  // namespace gleak::cli
