#include "apps/probe_command.h"

#include <cstdio>

#include <yaml-cpp/yaml.h>

#include "stages/config_reader.h"
#include "stages/source_config.h"
#include "stages/source_probe.h"

namespace vidssl {

int probe_command(const std::string& source, const std::vector<std::string>& overrides) {
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& o : overrides) apply_override(root, o);
  set_dotted(root, "source.path", YAML::Node(source));
  ConfigReader reader(root, "--set");
  SourceOptions options;
  read_source_options(reader, options);
  reader.finish();
  bool any_readable = false;
  for (const ClipProbe& clip : probe_source(options)) {
    std::printf("%s\n", probe_json(clip).c_str());
    any_readable = any_readable || clip.error.empty();
  }
  return any_readable ? 0 : 1;
}

}  // namespace vidssl
