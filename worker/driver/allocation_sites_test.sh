#!/bin/bash
# Runs allocation_sites_test.js (driver.js's choice of an allocation site's line, pure logic
# read out of driver.js) in node.
set -euo pipefail
DIR="${TEST_SRCDIR}/${TEST_WORKSPACE}/worker/driver"
exec node --expose-gc "$DIR/allocation_sites_test.js" "$DIR/driver.js"
