// What the node tests of driver.js's pure parts share: a section of driver.js evaluated
// alone (driver.js has no test hook: it runs as soon as it loads), and a check that reports
// each case and sets the exit code when one fails.
'use strict';
const assert = require('assert');
const fs = require('fs');
const vm = require('vm');

// Evaluates the part of `driverPath` from the line starting with `beginMarker` up to the one
// starting with `endMarker`, with `sandbox` as its globals, and returns the functions `names`.
function driverSection(driverPath, beginMarker, endMarker, names, sandbox = {}) {
  const text = fs.readFileSync(driverPath, 'utf8');
  const begin = text.indexOf(beginMarker);
  const end = text.indexOf(endMarker);
  assert(begin >= 0 && end > begin, `driver.js: no section from "${beginMarker}" to "${endMarker}"`);
  return vm.runInNewContext(`${text.slice(begin, end)}; ({ ${names.join(', ')} })`, sandbox);
}

// Runs one case: prints "ok NAME" or "FAILED NAME: why"; a failure makes the exit code 1.
// A case that returns a promise is reported when it settles.
function check(name, fn) {
  const fail = (e) => {
    process.exitCode = 1;
    console.log(`FAILED ${name}: ${e.message}`);
  };
  try {
    const result = fn();
    if (result && typeof result.then === 'function') {
      result.then(() => console.log(`ok ${name}`), fail);
      return;
    }
    console.log(`ok ${name}`);
  } catch (e) {
    fail(e);
  }
}

module.exports = { driverSection, check };
