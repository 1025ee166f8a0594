// Compiled with the inspector's include path, this must fail: the inspector reads the
// runtime only through the arena (arena/layout.h), never through its internals.
#include "arena/layout.h"
#include "core/internal/g.h"
