// configs/README.md is the reference for every config key: each key of each shipped config,
// defaults included (the resolved config a run writes), must be documented there.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/learner_kinds.h"
#include "stages/run_config.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

void dotted_keys(const YAML::Node& node, const std::string& prefix, std::vector<std::string>& out) {
  if (!node.IsMap()) {
    out.push_back(prefix);
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    dotted_keys(entry.second, prefix.empty() ? key : prefix + "." + key, out);
  }
}

TEST(ConfigDocs, EveryKeyOfEveryShippedConfigIsDocumentedInConfigsReadme) {
  const fs::path configs = fs::path(VIDSSL_SOURCE_DIR) / "configs";
  std::stringstream readme;
  readme << std::ifstream(configs / "README.md").rdbuf();
  const std::string documented = readme.str();
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(configs)) {
    if (entry.path().extension() != ".yaml") continue;
    const RunConfig config = load_run_config(entry.path().string(), {}, learner_kinds());
    std::vector<std::string> keys;
    dotted_keys(YAML::Load(config.yaml), "", keys);
    EXPECT_GT(keys.size(), 20u) << entry.path();
    for (const auto& key : keys) {
      // models.<entry>.<rest> is documented as models.<kind>.<rest> (a kind's keys) or models.<name>.<rest> (every model's).
      std::vector<std::string> forms{key};
      for (const auto& learner : config.learners) {
        const std::string prefix = "models." + learner.name + ".";
        if (key.rfind(prefix, 0) != 0) continue;
        forms = {"models." + std::string(learner.kind->name) + "." + key.substr(prefix.size()), "models.<name>." + key.substr(prefix.size())};
      }
      bool found = false;
      for (const auto& form : forms) found = found || documented.find("`" + form + "`") != std::string::npos;
      EXPECT_TRUE(found) << key << " (" << entry.path().filename() << ") is not in configs/README.md as " << forms.front();
      ++checked;
    }
    EXPECT_NE(documented.find("`" + entry.path().filename().string() + "`"), std::string::npos)
        << entry.path().filename() << " is not listed in configs/README.md";
  }
  EXPECT_GT(checked, 80);
}

}  // namespace
}  // namespace vidssl
