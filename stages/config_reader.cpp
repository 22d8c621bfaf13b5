#include "stages/config_reader.h"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

namespace vidssl {
namespace {

std::vector<std::string> split(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream in(key);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  return parts;
}

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

void leaf_keys(const YAML::Node& node, const std::string& prefix, std::vector<std::string>& out) {
  if (node.IsMap() && node.size() > 0) {
    for (const auto& entry : node) {
      const auto name = entry.first.as<std::string>();
      leaf_keys(entry.second, prefix.empty() ? name : prefix + "." + name, out);
    }
  } else if (!prefix.empty()) {
    out.push_back(prefix);
  }
}

// A value as a message quotes it: one line, at most 60 characters of it.
std::string quoted(const std::string& text) {
  std::string line = text.substr(0, std::min(text.find('\n'), std::size_t{60}));
  return line.size() < text.size() ? line + "… (" + std::to_string(text.size()) + " characters)" : line;
}

std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar()) return quoted(node.Scalar());
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

// Walks the whole tree once before any key is read: a key given twice in one mapping is refused
// (yaml-cpp would keep the first silently), and the walk is bounded in depth and in nodes visited,
// aliases counted each time they are reached, so that a few lines of nested aliases (a "billion
// laughs") are refused instead of expanding without end in every later walk.
void check_tree(const YAML::Node& node, const std::string& prefix, int depth, std::int64_t& budget, const std::string& origin) {
  constexpr int kMaxDepth = 16;
  if (--budget < 0)
    throw ConfigError(origin + ": more than " + std::to_string(kConfigNodeLimit) + " values once aliases are expanded (a config is a few hundred)");
  if (depth > kMaxDepth) throw ConfigError(prefix + ": nested deeper than " + std::to_string(kMaxDepth) + " levels in " + origin);
  if (node.IsSequence())
    for (const auto& item : node) check_tree(item, prefix, depth + 1, budget, origin);
  if (!node.IsMap()) return;
  std::set<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) throw ConfigError((prefix.empty() ? origin : prefix) + ": a key that is not a name");
    const std::string name = entry.first.Scalar(), key = prefix.empty() ? name : prefix + "." + name;
    if (!seen.insert(name).second)
      throw ConfigError(quoted(key) + ": given twice in " + origin + " (line " + std::to_string(entry.first.Mark().line + 1) + ")");
    check_tree(entry.second, key, depth + 1, budget, origin);
  }
}

}  // namespace

std::string ConfigError::one_line(const std::string& message) {
  std::string line = message.substr(0, kMaxLength);
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (line.size() < message.size()) line += "… (cut)";
  return line;
}

ConfigReader::ConfigReader(YAML::Node root, std::string origin)
    : root_(root.IsNull() ? YAML::Node(YAML::NodeType::Map) : root),
      origin_(std::move(origin)),
      resolved_(YAML::NodeType::Map) {  // a map from the start, so copies of the handle share it
  if (!root_.IsMap()) throw ConfigError(origin_ + ": expected a mapping of keys at the top level");
  std::int64_t budget = kConfigNodeLimit;
  check_tree(root_, "", 0, budget, origin_);
}

// Walks one key part per call. Every handle is copy-constructed, never assigned: assigning to a
// yaml-cpp node that refers into a tree rewrites the tree, and non-const operator[] inserts keys.
static YAML::Node find_in(const YAML::Node& node, const std::vector<std::string>& parts, std::size_t i, const std::string& path) {
  if (i == parts.size()) return node;
  if (!node.IsMap()) throw ConfigError(path + ": expected a mapping of keys, got '" + scalar_text(node) + "'");
  const YAML::Node child = node[parts[i]];
  if (!child.IsDefined() || child.IsNull()) return YAML::Node();
  return find_in(child, parts, i + 1, path.empty() ? parts[i] : path + "." + parts[i]);
}

YAML::Node ConfigReader::find(const std::string& key) const { return find_in(root_, split(key), 0, ""); }

template <class T>
void ConfigReader::read_scalar(const std::string& key, T& value, const char* expected) {
  known_.insert(key);
  const YAML::Node node = find(key);
  if (node.IsDefined() && !node.IsNull()) {
    if (!node.IsScalar()) throw ConfigError(key + ": expected " + expected + ", got " + scalar_text(node));
    try {
      value = node.as<T>();
    } catch (const YAML::Exception&) {
      throw ConfigError(key + ": expected " + expected + ", got '" + quoted(node.Scalar()) + "'");
    }
  }
  set_dotted(resolved_, key, YAML::Node(value));
}

void ConfigReader::read(const std::string& key, std::int64_t& value) { read_scalar(key, value, "an integer"); }
void ConfigReader::read(const std::string& key, int& value) { read_scalar(key, value, "an integer"); }
void ConfigReader::read(const std::string& key, double& value) { read_scalar(key, value, "a number"); }
void ConfigReader::read(const std::string& key, bool& value) { read_scalar(key, value, "true or false"); }
void ConfigReader::read(const std::string& key, std::string& value) { read_scalar(key, value, "a string"); }

bool ConfigReader::present(const std::string& key) const {
  const YAML::Node node = find(key);
  return node.IsDefined() && !node.IsNull();
}

std::vector<std::string> ConfigReader::children(const std::string& key) const {
  const YAML::Node node = find(key);
  std::vector<std::string> names;
  if (!node.IsDefined() || node.IsNull()) return names;
  if (!node.IsMap()) throw ConfigError(key + ": expected a mapping of keys, got " + scalar_text(node));
  for (const auto& entry : node) names.push_back(entry.first.as<std::string>());
  return names;
}

void ConfigReader::finish() const {
  std::vector<std::string> present;
  leaf_keys(root_, "", present);
  for (const auto& key : present) {
    if (known_.count(key)) continue;
    std::string best;
    std::size_t best_distance = 4;
    for (const auto& candidate : known_) {
      const auto d = edit_distance(key, candidate);
      if (d < best_distance) {
        best_distance = d;
        best = candidate;
      }
    }
    throw ConfigError(key + ": unknown key in " + origin_ + (best.empty() ? "" : " (did you mean " + best + "?)"));
  }
}

std::string ConfigReader::resolved_yaml() const {
  YAML::Emitter out;
  out << resolved_;
  return std::string(out.c_str()) + "\n";
}

void set_dotted(YAML::Node& root, const std::string& key, const YAML::Node& value) {
  const auto parts = split(key);
  if (parts.empty()) throw ConfigError("'" + key + "': empty key");
  // yaml-cpp nodes are handles: walking with operator[] on a copy writes into the tree.
  std::function<void(YAML::Node, std::size_t, const std::string&)> walk = [&](YAML::Node node, std::size_t i,
                                                                              const std::string& path) {
    if (i + 1 == parts.size()) {
      node[parts[i]] = value;
      return;
    }
    YAML::Node child = node[parts[i]];
    const std::string child_path = path.empty() ? parts[i] : path + "." + parts[i];
    if (child.IsDefined() && !child.IsNull() && !child.IsMap())
      throw ConfigError(key + ": '" + child_path + "' is a value, not a mapping of keys");
    if (!child.IsDefined() || child.IsNull()) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    walk(node[parts[i]], i + 1, child_path);
  };
  walk(root, 0, "");
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key=value, e.g. --set model.alpha=0.3");
  const std::string key = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception&) {
    value = YAML::Node(assignment.substr(eq + 1));
  }
  if (!value.IsScalar() && !value.IsNull()) value = YAML::Node(assignment.substr(eq + 1));
  set_dotted(root, key, value);
}

}  // namespace vidssl
