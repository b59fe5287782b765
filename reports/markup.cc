#include "reports/markup.h"

#include "common/utf8.h"

namespace heapstorm {

std::string EscapeMarkup(absl::string_view text) {
  constexpr char32_t kReplacement = 0xFFFD;
  std::string out;
  out.reserve(text.size() + 16);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t at = pos;
    char32_t cp = 0;
    if (!DecodeUtf8(text, &pos, &cp)) {
      AppendUtf8(kReplacement, &out);
      continue;
    }
    switch (cp) {
      case '&': out += "&amp;"; continue;
      case '<': out += "&lt;"; continue;
      case '>': out += "&gt;"; continue;
      case '"': out += "&quot;"; continue;
      case '\'': out += "&#39;"; continue;
      default: break;
    }
    // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    // (surrogates never decode as valid UTF-8).
    bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp != 0xFFFE && cp != 0xFFFF);
    if (allowed) {
      out.append(text.data() + at, pos - at);
    } else {
      AppendUtf8(kReplacement, &out);
    }
  }
  return out;
}

}  // namespace heapstorm
