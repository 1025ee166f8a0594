// core/internal/fork_helper.h — the thread that forks a frozen copy of the process for
// the leak analysis (core/fork_helper.cc).
#pragma once

namespace gleak::internal {

// start_fork_helper() starts the helper once and publishes its thread id in the arena
// header. Not in sanitizer builds, which are never analysed for leaks.
void start_fork_helper();

}  // namespace gleak::internal
