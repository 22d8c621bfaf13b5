#pragma once

#include "stages/config_reader.h"
#include "stages/frame_source.h"

namespace vidssl {

// Reads the source.* keys of SourceOptions (path, width, height, channels, realtime, max_frames,
// fit, fps; configs/README.md) into `options`, keeping its values for absent keys. Throws
// ConfigError naming the key and what was expected. `vidssl run` reads them with the rest of its
// config; `vidssl probe` reads them alone, from its --set options.
//
//   ConfigReader reader(root, "--set");
//   SourceOptions options;
//   read_source_options(reader, options);
//   reader.finish();   // any other key is unknown
void read_source_options(ConfigReader& reader, SourceOptions& options);

}  // namespace vidssl
