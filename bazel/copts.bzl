"""Compiler options shared by every C++ target of the project.

The targets carry everything their build needs (the language standard included), so
heapstorm builds the same as the main repository and as `@heapstorm` in a user's workspace,
whatever that workspace's .bazelrc says.
"""

_LANGUAGE = [
    "-std=c++17",
]

# g++ 12 with -Werror=unused-result rejects a dropped absl::Status ([[nodiscard]]).
HEAPSTORM_COPTS = _LANGUAGE + [
    "-Wall",
    "-Wextra",
    "-Werror=unused-result",
    "-Wno-unused-parameter",
]

# The code a leak check waits on, built optimized in every mode but dbg: the heap snapshot
# reader. The driver waits for its word on each snapshot, and in fastbuild (-O0, the mode of
# `bazel test` and of heapstorm_test in a user's workspace) its stream parser and graph
# walks took the wall time of a store-corpus run from 14.7 s to 25.4 s (bench/RESULTS.md,
# "The snapshot reader optimized"); -O2 on this one library alone gives opt's 14.7 s.
OPTIMIZED_COPTS = HEAPSTORM_COPTS + select({
    "//bazel:dbg": [],
    "//conditions:default": ["-O2"],
})

# Generated code (protobuf's, embedded blobs) is not ours; keep its warnings out of our log.
GENERATED_COPTS = _LANGUAGE + [
    "-w",
]
