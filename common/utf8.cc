#include "common/utf8.h"

#include <vector>

#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"

namespace heapstorm {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

inline bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

bool DecodeUtf8(absl::string_view text, size_t* pos, char32_t* code_point) {
  const size_t n = text.size();
  size_t i = *pos;
  unsigned char c0 = static_cast<unsigned char>(text[i]);
  if (c0 < 0x80) {
    *code_point = c0;
    *pos = i + 1;
    return true;
  }
  // The length of the sequence, and the allowed range of its second byte (which rules
  // out overlong forms, surrogates and values above U+10FFFF; Unicode Table 3-7).
  int length = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  char32_t value = 0;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    length = 2;
    value = c0 & 0x1F;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    length = 3;
    value = c0 & 0x0F;
    if (c0 == 0xE0) lo = 0xA0;
    if (c0 == 0xED) hi = 0x9F;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    length = 4;
    value = c0 & 0x07;
    if (c0 == 0xF0) lo = 0x90;
    if (c0 == 0xF4) hi = 0x8F;
  } else {
    *pos = i + 1;  // a stray continuation byte, or a byte that never starts a sequence
    return false;
  }
  size_t j = i + 1;
  for (int k = 1; k < length; ++k, ++j) {
    if (j >= n) {
      *pos = j;  // truncated at the end
      return false;
    }
    unsigned char c = static_cast<unsigned char>(text[j]);
    bool ok = k == 1 ? (c >= lo && c <= hi) : IsContinuation(c);
    if (!ok) {
      *pos = j;  // the maximal invalid subpart ends before this byte
      return false;
    }
    value = (value << 6) | (c & 0x3F);
  }
  *code_point = value;
  *pos = j;
  return true;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t FindInvalidUtf8(absl::string_view text) {
  size_t pos = 0;
  char32_t cp = 0;
  while (pos < text.size()) {
    size_t at = pos;
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;  // the common case, without a call
      continue;
    }
    if (!DecodeUtf8(text, &pos, &cp)) return at;
  }
  return absl::string_view::npos;
}

size_t Utf8Width(absl::string_view text) {
  size_t width = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t code_point;
    DecodeUtf8(text, &pos, &code_point);  // advances past a character or an invalid subpart
    ++width;
  }
  return width;
}

std::string ValidUtf8(absl::string_view text) {
  size_t bad = FindInvalidUtf8(text);
  if (bad == absl::string_view::npos) return std::string(text);
  std::string out(text.substr(0, bad));
  out.reserve(text.size() + 8);
  size_t pos = bad;
  char32_t cp = 0;
  while (pos < text.size()) {
    size_t at = pos;
    if (DecodeUtf8(text, &pos, &cp)) {
      out.append(text.data() + at, pos - at);
    } else {
      AppendUtf8(kReplacement, &out);
    }
  }
  return out;
}

std::string TerminalText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  char32_t cp = 0;
  while (pos < text.size()) {
    size_t at = pos;
    if (!DecodeUtf8(text, &pos, &cp)) {
      AppendUtf8(kReplacement, &out);
    } else if ((cp < 0x20 && cp != '\n') || cp == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned>(cp));
    } else if (cp >= 0x80 && cp <= 0x9f) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned>(cp));
    } else {
      out.append(text.data() + at, pos - at);
    }
  }
  return out;
}

absl::string_view Utf8Head(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Back up over continuation bytes to the start of the character that does not fit.
  // At most three: a longer run is invalid anyway and may be cut anywhere.
  for (int k = 0; k < 3 && end > 0 && IsContinuation(static_cast<unsigned char>(text[end])); ++k) --end;
  return text.substr(0, end);
}

absl::string_view Utf8Tail(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t start = text.size() - max_bytes;
  for (int k = 0; k < 3 && start < text.size() && IsContinuation(static_cast<unsigned char>(text[start])); ++k) {
    ++start;
  }
  return text.substr(start);
}

namespace {

// The value of the four hex digits at json[at..at+4), or -1.
int HexQuad(absl::string_view json, size_t at) {
  if (at + 4 > json.size()) return -1;
  int value = 0;
  for (size_t i = at; i < at + 4; ++i) {
    char c = json[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

}  // namespace

std::string ValidJsonText(absl::string_view json) {
  std::string text = ValidUtf8(json);
  if (text.find("\\u") == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    if (text[i + 1] != 'u') {  // another escape: copy both characters
      out.append(text, i, 2);
      ++i;
      continue;
    }
    int unit = HexQuad(text, i + 2);
    bool high = unit >= 0xD800 && unit <= 0xDBFF;
    bool low = unit >= 0xDC00 && unit <= 0xDFFF;
    if (high && i + 12 <= text.size() && text[i + 6] == '\\' && text[i + 7] == 'u') {
      int next = HexQuad(text, i + 8);
      if (next >= 0xDC00 && next <= 0xDFFF) {  // a valid pair: keep it
        out.append(text, i, 12);
        i += 11;
        continue;
      }
    }
    if (high || low) {
      out += "\\uFFFD";
      i += 5;
      continue;
    }
    out.append(text, i, 2);  // an ordinary \uXXXX (or a malformed one: the parser says so)
    ++i;
  }
  return out;
}

int MakeStringsValidUtf8(google::protobuf::Message* message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);  // only the fields that are set
  int changed = 0;
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          std::string scratch;
          const std::string& value = reflection->GetRepeatedStringReference(*message, field, i, &scratch);
          if (IsValidUtf8(value)) continue;
          reflection->SetRepeatedString(message, field, i, ValidUtf8(value));
          ++changed;
        }
      } else {
        std::string scratch;
        const std::string& value = reflection->GetStringReference(*message, field, &scratch);
        if (IsValidUtf8(value)) continue;
        reflection->SetString(message, field, ValidUtf8(value));
        ++changed;
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      // Map fields are repeated entry messages with `key` and `value` fields: covered here.
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          changed += MakeStringsValidUtf8(reflection->MutableRepeatedMessage(message, field, i));
        }
      } else {
        changed += MakeStringsValidUtf8(reflection->MutableMessage(message, field));
      }
    }
  }
  return changed;
}

}  // namespace heapstorm
