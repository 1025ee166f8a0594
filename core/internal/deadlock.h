// core/internal/deadlock.h — the global deadlock check: when nothing has run for a
// while and the main goroutine waits, prove with the leak analysis that nothing can
// ever wake it, and die with `fatal error: all goroutines are asleep - deadlock!`.
//
// Go's check counts threads: any goroutine in a system call, or any timer, disables
// it. This one asks the leak analysis (gleak leaks, run on the process) instead: a
// goroutine in a blocking call, or a plain thread, keeps the main goroutine alive only
// if it can reach what the main goroutine waits on. docs/leaks.md has the details.
#pragma once

#include "core/internal/g.h"

namespace gleak::internal {

// watch_for_deadlock() makes g the main goroutine to watch (run() calls it from g);
// starts the watcher thread on first use. unwatch_main() ends the watch of g.
void watch_for_deadlock(G* g);
void unwatch_main(G* g);

// note_all_idle() is called by a worker that goes to sleep with every other worker
// asleep and no timer set: the moment a deadlock can begin. Cheap when no one watches.
void note_all_idle();

}  // namespace gleak::internal
