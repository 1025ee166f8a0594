// core/internal/exit_check.h — the runtime's side of `gleak run` (docs/ci.md).
#pragma once

namespace gleak::internal {

// install_gate() arranges, when the process runs under `gleak run` (env
// arena::kGateEnv names the gate's socket), that exit() first lets running goroutines
// settle, then hands the process to the gate and waits until the gate has read it.
// Called once, when the runtime starts, after the arena exists.
void install_gate();

}  // namespace gleak::internal
