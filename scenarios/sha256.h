// SHA-256 of bytes as lowercase hex (OpenSSL's EVP), for suite and report fingerprints.
#ifndef HEAPSTORM_SCENARIOS_SHA256_H_
#define HEAPSTORM_SCENARIOS_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace heapstorm {

// 64 lowercase hex digits. Thread-safe.
std::string Sha256Hex(absl::string_view data);

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_SHA256_H_
