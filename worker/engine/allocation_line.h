// Chooses the allocating line of a leak's allocation sites from what the heap snapshots
// show retained. V8's sampling heap profiler names only the functions on an allocating
// stack, each at the position where it starts; driver.js sends, with each site whose
// function allocated by its own code, the function's allocating expressions
// (AllocationCandidate: a closure literal at its position, `new X`, a literal, a string,
// a BigInt)
// and this picks the one whose kind of object the window's survivors hold the most bytes
// of (SnapshotDiff::placed).
#ifndef HEAPSTORM_WORKER_ENGINE_ALLOCATION_LINE_H_
#define HEAPSTORM_WORKER_ENGINE_ALLOCATION_LINE_H_

#include <vector>

#include "proto/result.pb.h"
#include "worker/engine/heap_snapshot.h"

namespace heapstorm {

// For every site with candidates: the line of the candidate whose kind of object is
// retained, by the first of these that any candidate matches, most bytes first within it:
//   1. proof of the very expression: a surviving closure whose snapshot location is the
//      candidate's own position ("closure@SCRIPT:LINE:COLUMN"), an instance of a class
//      or function of the module made by `new` ("class X"), or, where ArrayBuffers'
//      backing stores survived (not node's Buffer pool), `new ArrayBuffer`,
//      `new SharedArrayBuffer` or `new WebAssembly.Memory` with those stores' bytes, where
//      an object of its kind survived too;
//   2. an object literal whose own property names (AllocationCandidate.keys) include every
//      property a surviving plain object has (SnapshotDiff::Placed::shape): two literals
//      of one function are told apart by their keys; and a survivor whose shape names no
//      property (its fields all small integers or doubles, which V8 does not name) is
//      told by its size, that of a literal with as many keys (Placed::unnamed_size);
//   3. an instance of another constructor (`new Error`, `new Promise`; `new Function`'s
//      closures, named "anonymous");
//   4. an object or array literal ("object Object", "object Array");
//   5. a string (a template, a `+` with a string literal), or a BigInt (`BigInt(`, arithmetic
//      with a BigInt literal: the snapshot's "bigint").
// Candidates on one line add up within a level; equal bytes go to the earlier candidate.
// A site so chosen gets position ALLOCATION_POSITION_RETAINED and, when the line lies in
// another function (one the sampled one inlined, or its caller), that function's name. A
// site none of whose candidates is retained keeps the driver's line, except an EXPRESSION
// (the driver's one allocating expression, which the survivors then contradict): it becomes
// FUNCTION, at the function's first line (column 0: unknown). Candidates are cleared from
// every site, and the sites of one place are merged (MergeSameLines). Then a site with a
// line (SiteHasLine) moves ahead of each site without one just before it whose bytes exceed
// its own by no more than twice their joint standard error (AllocationSite.bytes_error): a
// window of a few small survivors gets a sample or two per site, and which of them drew more
// is chance (leak corpus pooled_slice_pin.js: its kept slice's line and the pool's function,
// one sample each).
void PickRetainedLines(const std::vector<SnapshotDiff::Placed>& retained, std::vector<v1::AllocationSite>* sites);

// Merges the sites of one place (file, line, column and position) into one: their samples
// and bytes added, their errors in quadrature, the function's name and first line those of
// the larger share. One place comes from several sampled frames:
// - one function has two names: `iteration` for the frame the harness stands in for when V8
//   inlined it, `exports.iteration` from the profiler (leak corpus pooled_slice_pin.js: two
//   STORE rows of line 18);
// - a line of a function that V8 inlined into some of its callers is sampled in its own
//   frame and in the caller's, whose first line differs (a cache filled with what a helper
//   builds: two RETAINED rows of the helper's line, from the helper and from iteration).
// The result is ordered by bytes, most first.
void MergeSameLines(std::vector<v1::AllocationSite>* sites);

// True when a site's line rests on evidence (RETAINED, CALL, EXPRESSION, STORE), false for
// FUNCTION (the function's first line) and an unset position.
bool SiteHasLine(const v1::AllocationSite& site);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_ALLOCATION_LINE_H_
