#pragma once
// A minimal streaming XML writer with correct escaping, for the query and ec2 protocols.
#include <string>
#include <string_view>

namespace cloudbox {

class XmlWriter {
 public:
  XmlWriter() { out_.reserve(1024); }
  void declaration() { out_ += R"(<?xml version="1.0" encoding="UTF-8"?>)"; }
  void open(std::string_view tag, std::string_view xmlns = {}) {
    out_ += '<';
    out_ += tag;
    if (!xmlns.empty()) {
      out_ += R"( xmlns=")";
      escape(xmlns);
      out_ += '"';
    }
    out_ += '>';
  }
  void close(std::string_view tag) {
    out_ += "</";
    out_ += tag;
    out_ += '>';
  }
  void element(std::string_view tag, std::string_view text) {
    open(tag);
    escape(text);
    close(tag);
  }
  void text(std::string_view t) { escape(t); }
  std::string take() { return std::move(out_); }

 private:
  void escape(std::string_view s) {
    for (char c : s) {
      switch (c) {
        case '&': out_ += "&amp;"; break;
        case '<': out_ += "&lt;"; break;
        case '>': out_ += "&gt;"; break;
        case '"': out_ += "&quot;"; break;
        case '\'': out_ += "&apos;"; break;
        case '\r': out_ += "&#xD;"; break;
        case '\t': out_ += c; break;
        case '\n': out_ += c; break;
        default:
          // XML 1.0 cannot carry the other control characters, even as references: U+FFFD keeps the document
          // well-formed, so one stored value cannot make every later response unreadable.
          if (static_cast<unsigned char>(c) < 0x20) out_ += "\xEF\xBF\xBD";
          else out_ += c;
      }
    }
  }
  std::string out_;
};

}  // namespace cloudbox
