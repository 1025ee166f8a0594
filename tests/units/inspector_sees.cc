// Compiled with the inspector's include path: the units it may use are all there.
#include "arena/clock.h"
#include "arena/duration.h"
#include "arena/layout.h"
#include "inspector/read/reader.h"
#include "symbolize/symbolize.h"

static_assert(sizeof(gleak::arena::ArenaHeader) > 0);
