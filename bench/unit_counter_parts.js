// The unit counter's parts, each timed in one node process (bench/unit_counter.sh runs it):
// what worker/driver/driver.js does per unit (a store and a comparison), per look at the
// clock (process.hrtime.bigint), per publish (the counter's 12-byte record written in place,
// fs.writeSync(4, record, 0, 12, 0), to the file the caller gives as fd 4; and for
// comparison the former way, a "u N" line written to the telemetry pipe, fd 3, drained by
// the caller as the engine drains it) and per look at the limits (v8.getHeapStatistics). Each against an empty reference, in alternating blocks of the same
// length, by CPU time (process.cpuUsage: a loaded machine keeps node waiting, which CPU time
// leaves out); the median over the blocks. Prints one JSON line: nanoseconds per operation.
'use strict';
const fs = require('fs');
const v8 = require('v8');

const BLOCKS = 21;

function cpuNs(fn, n) {
  const start = process.cpuUsage();
  fn(n);
  const d = process.cpuUsage(start);
  return (d.user + d.system) * 1000;
}

function median(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

// Median over alternating blocks of (cost of `fn` − cost of `reference`) per operation.
function perOp(fn, reference, n) {
  fn(n);
  reference(n);  // warm both up (optimized code)
  const diffs = [];
  for (let b = 0; b < BLOCKS; b++) {
    const first = b % 2 === 0;
    const x = first ? cpuNs(fn, n) : 0;
    const r = cpuNs(reference, n);
    const y = first ? x : cpuNs(fn, n);
    diffs.push((y - r) / n);
  }
  return median(diffs);
}

// Per unit: the ramp's loop with the counter's store and comparison, and with the store only.
let unitsReached = 0;
const counter = { next: 1 << 30 };
let sink = 0;
function withComparison(n) {
  for (let i = 0; i < n; i++) {
    unitsReached = i + 1;
    if (unitsReached >= counter.next) sink++;
  }
}
function storeOnly(n) {
  for (let i = 0; i < n; i++) unitsReached = i + 1;
}

function clock(n) {
  let last = 0n;
  for (let i = 0; i < n; i++) last = process.hrtime.bigint();
  sink += Number(last & 1n);
}
function empty(n) {
  for (let i = 0; i < n; i++) sink += i & 1;
}

let published = 1000000;
function publishPipe(n) {
  for (let i = 0; i < n; i++) fs.writeSync(3, 'u ' + (++published) + '\n');
}
const record = Buffer.alloc(12);
function publishFile(n) {
  for (let i = 0; i < n; i++) {
    record.writeUInt32LE(++published, 0);
    record.writeUInt32LE(0, 4);
    record.writeUInt32LE((Math.imul(published, 0x9e3779b1) ^ 0x68656170) >>> 0, 8);
    fs.writeSync(4, record, 0, 12, 0);
  }
}
function heapStatistics(n) {
  for (let i = 0; i < n; i++) sink += v8.getHeapStatistics().used_heap_size & 1;
}

const result = {
  compare_ns_per_unit: perOp(withComparison, storeOnly, 20000000),
  clock_ns: perOp(clock, empty, 200000),
  publish_file_ns: perOp(publishFile, empty, 20000),
  publish_pipe_ns: perOp(publishPipe, empty, 20000),
  heap_statistics_ns: perOp(heapStatistics, empty, 20000),
};
process.stdout.write(JSON.stringify(result) + (sink === -1 ? ' ' : '') + '\n');
