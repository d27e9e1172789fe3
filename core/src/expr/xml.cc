// SPDX-License-Identifier: Apache-2.0
// XMLGetNodeValue / XMLGetAttributeValue: a small XML reader and the XPath subset used by hub
// content (Windows event XML): absolute child steps `/a/b`, positional predicates `[N]`
// (1-based, among same-name siblings) and attribute tests `[@Name='X']`.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cw::core::expr::detail {

namespace {

constexpr int kMaxXmlDepth = 256;

struct XNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::vector<std::unique_ptr<XNode>> children;
  std::string_view content;  ///< raw text between the start and end tags
};

void decodeEntities(std::string_view s, std::string& out) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    const std::size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    const std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (!ent.empty() && ent[0] == '#') {
      const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      const unsigned long cp =
          std::strtoul(std::string(ent.substr(hex ? 2 : 1)).c_str(), nullptr, hex ? 16 : 10);
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xE0 | ((cp >> 12) & 0x0F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
}

/// Text content of a raw element body: tags and comments dropped, CDATA kept, entities decoded.
std::string innerText(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 9, "<![CDATA[") == 0) {
      const std::size_t end = s.find("]]>", i + 9);
      const std::size_t stop = end == std::string_view::npos ? s.size() : end;
      out.append(s.substr(i + 9, stop - i - 9));
      i = end == std::string_view::npos ? s.size() : end + 3;
    } else if (s[i] == '<') {
      const std::size_t end = s.compare(i, 4, "<!--") == 0 ? s.find("-->", i) : s.find('>', i);
      i = end == std::string_view::npos ? s.size() : end + (s[i + 1] == '!' ? 3 : 1);
    } else {
      const std::size_t next = s.find('<', i);
      const std::size_t stop = next == std::string_view::npos ? s.size() : next;
      decodeEntities(s.substr(i, stop - i), out);
      i = stop;
    }
  }
  return out;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool parse(XNode& root) { return parseChildren(root, 0) && ok_; }

 private:
  bool isNameChar(char ch) const {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == ':' || ch == '-' ||
           ch == '.';
  }
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) {
      ++i_;
    }
  }

  // Parses children until the closing tag of the parent (or end of input at depth 0).
  bool parseChildren(XNode& parent, int depth) {
    if (depth > kMaxXmlDepth) {
      return false;
    }
    while (i_ < s_.size()) {
      const std::size_t lt = s_.find('<', i_);
      if (lt == std::string_view::npos) {
        i_ = s_.size();
        return depth == 0;
      }
      i_ = lt;
      if (s_.compare(i_, 4, "<!--") == 0) {
        const std::size_t end = s_.find("-->", i_);
        if (end == std::string_view::npos) {
          return false;
        }
        i_ = end + 3;
        continue;
      }
      if (s_.compare(i_, 9, "<![CDATA[") == 0) {
        const std::size_t end = s_.find("]]>", i_);
        if (end == std::string_view::npos) {
          return false;
        }
        i_ = end + 3;
        continue;
      }
      if (s_.compare(i_, 2, "<?") == 0 || s_.compare(i_, 2, "<!") == 0) {
        const std::size_t end = s_.find('>', i_);
        if (end == std::string_view::npos) {
          return false;
        }
        i_ = end + 1;
        continue;
      }
      if (s_.compare(i_, 2, "</") == 0) {
        if (depth == 0) {
          return false;
        }
        const std::size_t name_start = i_ + 2;
        const std::size_t end = s_.find('>', i_);
        if (end == std::string_view::npos) {
          return false;
        }
        std::string_view name = s_.substr(name_start, end - name_start);
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) {
          name.remove_suffix(1);
        }
        if (name != parent.name) {
          return false;
        }
        parent.content = s_.substr(content_start_.back(), lt - content_start_.back());
        i_ = end + 1;
        return true;
      }
      // Start tag.
      ++i_;
      auto node = std::make_unique<XNode>();
      const std::size_t ns = i_;
      while (i_ < s_.size() && isNameChar(s_[i_])) {
        ++i_;
      }
      node->name = std::string(s_.substr(ns, i_ - ns));
      if (node->name.empty()) {
        return false;
      }
      bool self_closing = false;
      while (true) {
        ws();
        if (i_ >= s_.size()) {
          return false;
        }
        if (s_[i_] == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '>') {
          self_closing = true;
          i_ += 2;
          break;
        }
        if (s_[i_] == '>') {
          ++i_;
          break;
        }
        const std::size_t as = i_;
        while (i_ < s_.size() && isNameChar(s_[i_])) {
          ++i_;
        }
        std::string aname(s_.substr(as, i_ - as));
        ws();
        if (aname.empty() || i_ >= s_.size() || s_[i_] != '=') {
          return false;
        }
        ++i_;
        ws();
        if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) {
          return false;
        }
        const char q = s_[i_++];
        const std::size_t vend = s_.find(q, i_);
        if (vend == std::string_view::npos) {
          return false;
        }
        std::string value;
        decodeEntities(s_.substr(i_, vend - i_), value);
        node->attrs.emplace_back(std::move(aname), std::move(value));
        i_ = vend + 1;
      }
      if (!self_closing) {
        content_start_.push_back(i_);
        const bool child_ok = parseChildren(*node, depth + 1);
        content_start_.pop_back();
        if (!child_ok) {
          return false;
        }
      }
      parent.children.push_back(std::move(node));
    }
    return depth == 0;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::vector<std::size_t> content_start_;
  bool ok_ = true;
};

struct Step {
  std::string name;
  int position = 0;  ///< 1-based, 0 = any
  std::string attr;
  std::string attr_value;
  bool has_attr = false;
};

bool parsePath(std::string_view path, std::vector<Step>& steps) {
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] != '/') {
      return false;
    }
    ++i;
    Step st;
    const std::size_t ns = i;
    while (i < path.size() && path[i] != '/' && path[i] != '[') {
      ++i;
    }
    st.name = std::string(path.substr(ns, i - ns));
    while (i < path.size() && path[i] == '[') {
      const std::size_t end = path.find(']', i);
      if (end == std::string_view::npos) {
        return false;
      }
      std::string_view pred = path.substr(i + 1, end - i - 1);
      if (!pred.empty() && pred[0] == '@') {
        const std::size_t eq = pred.find('=');
        if (eq == std::string_view::npos || pred.size() < eq + 3) {
          return false;
        }
        st.has_attr = true;
        st.attr = std::string(pred.substr(1, eq - 1));
        std::string_view v = pred.substr(eq + 1);
        if ((v.front() == '\'' || v.front() == '"') && v.back() == v.front()) {
          v = v.substr(1, v.size() - 2);
        }
        st.attr_value = std::string(v);
      } else {
        st.position = std::atoi(std::string(pred).c_str());
        if (st.position <= 0) {
          return false;
        }
      }
      i = end + 1;
    }
    if (st.name.empty()) {
      return false;
    }
    steps.push_back(std::move(st));
  }
  return !steps.empty();
}

const std::string* attrOf(const XNode& n, std::string_view name) {
  for (const auto& [k, v] : n.attrs) {
    if (k == name) {
      return &v;
    }
  }
  return nullptr;
}

}  // namespace

bool xmlGetNodeValue(std::string_view xml, std::string_view path, std::string* attr,
                     std::string& out) {
  out.clear();
  XNode root;
  Reader reader(xml);
  std::vector<Step> steps;
  if (!reader.parse(root) || !parsePath(path, steps)) {
    return false;
  }
  std::vector<const XNode*> current{&root};
  for (const Step& st : steps) {
    std::vector<const XNode*> next;
    for (const XNode* parent : current) {
      int pos = 0;
      for (const auto& child : parent->children) {
        if (st.name != "*" && child->name != st.name) {
          continue;
        }
        if (st.has_attr) {
          const std::string* v = attrOf(*child, st.attr);
          if (v == nullptr || *v != st.attr_value) {
            continue;
          }
        }
        ++pos;
        if (st.position == 0 || st.position == pos) {
          next.push_back(child.get());
        }
      }
    }
    current.swap(next);
    if (current.empty()) {
      return false;
    }
  }
  const XNode* n = current.front();
  if (attr != nullptr) {
    const std::string* v = attrOf(*n, *attr);
    if (v == nullptr) {
      return false;
    }
    out = *v;
    return true;
  }
  out = innerText(n->content);
  return true;
}

} // namespace cw::core::expr::detail
