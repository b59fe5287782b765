#!/usr/bin/env bash
# The test body of heapstorm_test (see heapstorm.bzl): runs heapstorm with the arguments
# the macro gave. heapstorm itself follows Bazel's test contract (--bazel-test).
exec "$@"
