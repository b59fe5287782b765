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

# Generated code (protobuf's, embedded blobs) is not ours; keep its warnings out of our log.
GENERATED_COPTS = _LANGUAGE + [
    "-w",
]
