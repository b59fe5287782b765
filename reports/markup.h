// Escaping text for XML and HTML, the one way: the JUnit file, the HTML report and its SVG
// charts all carry text that came from a measured process (scenario names, stderr, error
// messages), so every string goes through here.
#ifndef HEAPSTORM_REPORTS_MARKUP_H_
#define HEAPSTORM_REPORTS_MARKUP_H_

#include <string>

#include "absl/strings/string_view.h"

namespace heapstorm {

// `text` made safe for XML 1.0 and HTML content and attribute values: & < > " ' become
// entities; invalid UTF-8 becomes U+FFFD; characters XML 1.0 cannot carry (controls other
// than tab, newline and carriage return, U+FFFE, U+FFFF) become U+FFFD too, so the
// output is always well-formed and the reader sees that something was there.
std::string EscapeMarkup(absl::string_view text);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_MARKUP_H_
