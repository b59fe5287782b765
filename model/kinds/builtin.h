// The built-in scenario kinds, one file each (cached_data.cc, ...), listed in the one table
// of model/kinds.cc. Only the registry calls these; everything else looks kinds up there.
#ifndef HEAPSTORM_MODEL_KINDS_BUILTIN_H_
#define HEAPSTORM_MODEL_KINDS_BUILTIN_H_

#include "model/kinds.h"

namespace heapstorm {

KindSpec CachedDataKind();
KindSpec OpenConnectionsKind();
KindSpec LargeBuffersKind();
KindSpec DeepRecursionKind();
KindSpec ScriptKind();

}  // namespace heapstorm

#endif  // HEAPSTORM_MODEL_KINDS_BUILTIN_H_
