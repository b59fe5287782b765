// Status propagation macros. abseil 20220623 has none, so the project writes them once.
//
//   HS_RETURN_IF_ERROR(DoThing());
//   HS_ASSIGN_OR_RETURN(auto value, ComputeValue());
//
// Both evaluate their argument exactly once and return the non-OK status unchanged.
#ifndef HEAPSTORM_COMMON_STATUS_MACROS_H_
#define HEAPSTORM_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define HS_STATUS_CONCAT_INNER_(a, b) a##b
#define HS_STATUS_CONCAT_(a, b) HS_STATUS_CONCAT_INNER_(a, b)

#define HS_RETURN_IF_ERROR(expr)                      \
  do {                                                \
    ::absl::Status hs_status_ = (expr);               \
    if (!hs_status_.ok()) return hs_status_;          \
  } while (0)

#define HS_ASSIGN_OR_RETURN(lhs, expr) \
  HS_ASSIGN_OR_RETURN_IMPL_(HS_STATUS_CONCAT_(hs_statusor_, __LINE__), lhs, expr)

#define HS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // HEAPSTORM_COMMON_STATUS_MACROS_H_
