// core/internal/leak_cli.h — running `gleak leaks` on this process, for find_leaks()
// and the global deadlock check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gleak/leaks.h"

namespace gleak::internal {

// leak_cli_path() is the gleak command to run: $GLEAK_CLI, else the one this build
// made (only in programs built in gleak's own build tree), else the installed one, else
// `gleak` in an absolute directory of $PATH; "" when there is none.
std::string leak_cli_path();

// gleak_in_path() is the first executable `gleak` in an absolute directory of the
// $PATH-style list dirs; relative entries ("", ".", "bin") are skipped, since they name
// whatever the current directory happens to be. "" when there is none.
std::string gleak_in_path(std::string_view dirs);

// run_leak_cli() runs `gleak leaks <this pid> --json` and waits for it, at most
// timeout_ns (then it is killed: the kernel lets go of a dead tracer's tracees). The
// child gets no descriptor but its pipes, and no DEBUGINFOD_URLS (no network fetches
// while this process is stopped); this process names it as its tracer only while it
// runs. On success returns true with its JSON in *json (whatever its exit status 0 or 1
// said); else false with the reason in *error. Must run on a thread with a normal
// stack (not a goroutine's): it forks.
bool run_leak_cli(const std::string& cli, int64_t suspect_after_ns, int64_t timeout_ns, std::string* json,
                  std::string* error);

// analyse_self() is run_leak_cli() with its JSON read into *out (find_leaks() and the
// deadlock check); false with the reason in *error.
// One analysis at a time in a process (find_leaks() and the deadlock check take turns).
bool analyse_self(const std::string& cli, int64_t suspect_after_ns, int64_t timeout_ns, LeakReport* out,
                  std::string* error);

}  // namespace gleak::internal
