// Text that comes from a measured process (stderr, error messages, names in a heap
// snapshot, paths) is untrusted bytes. proto3 `string` fields, XML and HTML all require
// valid UTF-8, and one stray byte must never cost a run. This file is the one place that
// decides what valid UTF-8 is, repairs it, and cuts it on character boundaries.
//
// Repair replaces every invalid sequence (stray continuation bytes, overlong forms,
// surrogates, code points above U+10FFFF, truncated sequences) with U+FFFD, one per
// maximal invalid subpart, as the Unicode standard recommends.
#ifndef HEAPSTORM_COMMON_UTF8_H_
#define HEAPSTORM_COMMON_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace heapstorm {

// Decodes the code point at `*pos` and advances `*pos` past it. Returns false for an
// invalid sequence, and then advances `*pos` past its maximal invalid subpart (at least
// one byte). `*pos` must be below text.size().
bool DecodeUtf8(absl::string_view text, size_t* pos, char32_t* code_point);

// Appends the UTF-8 encoding of `code_point` (which must be a scalar value).
void AppendUtf8(char32_t code_point, std::string* out);

// The byte offset of the first invalid sequence, or absl::string_view::npos if `text` is
// valid UTF-8.
size_t FindInvalidUtf8(absl::string_view text);

inline bool IsValidUtf8(absl::string_view text) {
  return FindInvalidUtf8(text) == absl::string_view::npos;
}

// `text` with every invalid sequence replaced by U+FFFD. Valid input comes back unchanged.
std::string ValidUtf8(absl::string_view text);

// `text` made safe to print to a terminal: invalid UTF-8 repaired as by ValidUtf8(), and
// every control character but the newline (C0, DEL, C1: a NUL, an ESC that starts a
// sequence clearing the screen) written out visibly as \xNN or \u00NN. For what a
// measured process said (an exception's message, a class or property name from its heap),
// wherever the terminal shows it.
std::string TerminalText(absl::string_view text);

// How many characters `text` shows in a terminal column: its code points (an invalid byte
// counts as one, as the U+FFFD it is shown as). East Asian wide characters count as one.
size_t Utf8Width(absl::string_view text);

// At most `max_bytes` bytes from the start (head) or the end (tail) of `text`, cut on a
// character boundary: no multi-byte character is split.
absl::string_view Utf8Head(absl::string_view text, size_t max_bytes);
absl::string_view Utf8Tail(absl::string_view text, size_t max_bytes);

// `json` (one JSON text) made safe for a strict parser: invalid UTF-8 repaired as by
// ValidUtf8(), and every \uXXXX escape of a UTF-16 surrogate that is not part of a valid
// pair (JavaScript's JSON.stringify writes lone surrogates that way) replaced by \uFFFD.
std::string ValidJsonText(absl::string_view json);

// Repairs every `string` field (singular, repeated, map keys and values) of `message` and
// of every message inside it, in place. `bytes` fields are left alone. Returns how many
// fields were changed. Not thread-safe for the message.
int MakeStringsValidUtf8(google::protobuf::Message* message);

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_UTF8_H_
