#pragma once

#include "stages/frame_source.h"

namespace vidssl {

// The size every source delivers, decided once at open time so that downstream stages (pyramids,
// models) see one size for the whole stream, even when clips of a folder differ.
struct OutputSize {
  int width = 0;
  int height = 0;
};

// Checks the fields every source shares (channels 1 or 3, sizes in range); throws SourceError
// naming `options.path` and what was expected.
void check_source_options(const SourceOptions& options);

// options.width/height, or the native size where they are 0; one of them alone keeps the native
// aspect ratio (e.g. width 320 of a 640×480 clip gives 320×240).
OutputSize output_size(const SourceOptions& options, int native_width, int native_height);

}  // namespace vidssl
