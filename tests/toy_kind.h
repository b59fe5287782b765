// A scenario kind for tests only, `toy_pile` (a unit is one brick), described in this file
// pair and nowhere else: tests/toy_kind_test.cc registers it and shows that the loader, the
// validator, the sweeps and capacity handle it with no edit of their own.
#ifndef HEAPSTORM_TESTS_TOY_KIND_H_
#define HEAPSTORM_TESTS_TOY_KIND_H_

#include "model/kinds.h"

namespace heapstorm {

// The toy kind's description; register it with RegisterKind().
KindSpec ToyPileKind();

}  // namespace heapstorm

#endif  // HEAPSTORM_TESTS_TOY_KIND_H_
