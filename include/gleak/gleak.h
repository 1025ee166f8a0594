// gleak/gleak.h — the whole public API of the gleak runtime.
//
//   gleak::go(f, args...)          start a goroutine
//   gleak::run(main_fn, Config)    run main_fn as goroutine 1 on Config::procs workers
//   gleak::Chan<T>, select(...)    channels and select
//   WaitGroup, Mutex, RWMutex, Once, Cond
//   sleep, after, Ticker           timers
//   Context, with_cancel, with_timeout, ErrGroup
//   panic, recover                 Go's panic and recover
//   find_leaks()                   the leak analysis of `gleak leaks`, on this process
//   goroutines(), write_goroutines()  every goroutine's stack, from inside (runtime.Stack)
#pragma once

#include "gleak/chan.h"
#include "gleak/context.h"
#include "gleak/errgroup.h"
#include "gleak/leaks.h"
#include "gleak/runtime.h"
#include "gleak/stacks.h"
#include "gleak/sync.h"
#include "gleak/time.h"
