#!/bin/bash
# Runs leak_schedule_test.js (the leak check's checkpoint schedule, pure logic read out of
# driver.js) in node.
set -euo pipefail
DIR="${TEST_SRCDIR}/${TEST_WORKSPACE}/worker/driver"
exec node "$DIR/leak_schedule_test.js" "$DIR/driver.js"
