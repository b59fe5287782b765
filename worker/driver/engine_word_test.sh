#!/bin/bash
# Runs engine_word_test.js (the driver of a leak check against a scripted engine, over real
# pipes) in node.
set -euo pipefail
DIR="${TEST_SRCDIR}/${TEST_WORKSPACE}/worker/driver"
exec node "$DIR/engine_word_test.js" "$DIR/driver.js"
