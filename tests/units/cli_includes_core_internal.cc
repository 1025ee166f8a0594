// Compiled with the CLI's include path, this must fail: the CLI sees the inspector and
// the contract, never the runtime's internals.
#include "cli/ps.h"
#include "core/internal/g.h"
