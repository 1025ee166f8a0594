// core/internal/leak_cli.h — running `gleak leaks` on this process, for find_leaks()
// and the global deadlock check.
#pragma once

#include <cstdint>
#include <string>

#include "gleak/leaks.h"

namespace gleak::internal {

// leak_cli_path() is the gleak command to run: $GLEAK_CLI, else the one this build
// made, else the installed one, else `gleak` on $PATH; "" when there is none.
std::string leak_cli_path();

// run_leak_cli() runs `gleak leaks <this pid> --json` and waits for it. On success
// returns true with its JSON in *json (whatever its exit status 0 or 1 said); else
// false with the reason in *error. Must run on a thread with a normal stack (not a
// goroutine's): it forks.
bool run_leak_cli(const std::string& cli, int64_t suspect_after_ns, std::string* json, std::string* error);

// analyse_self() is run_leak_cli() with its JSON read into *out (find_leaks() and the
// deadlock check); false with the reason in *error.
bool analyse_self(const std::string& cli, int64_t suspect_after_ns, LeakReport* out, std::string* error);

}  // namespace gleak::internal
