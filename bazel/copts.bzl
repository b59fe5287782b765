"""Compiler options shared by every C++ target of the project."""

# g++ 12 with -Werror=unused-result rejects a dropped absl::Status ([[nodiscard]]).
HEAPSTORM_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror=unused-result",
    "-Wno-unused-parameter",
]

# Generated protobuf code is not ours; keep its warnings out of our build log.
GENERATED_COPTS = [
    "-w",
]
