#!/bin/bash
# Runs allocation_sites_test.js (driver.js's choice of an allocation site's line) in node.
set -euo pipefail
dir="$(dirname "$0")"
HEAPSTORM_DRIVER_UNIT_TEST=1 exec node "$dir/allocation_sites_test.js" "$dir/driver.js"
