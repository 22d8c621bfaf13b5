#pragma once

#include "stages/frame_source.h"

namespace vidssl {

// The size every source delivers, decided once at open time so that downstream stages (pyramids,
// models) see one size for the whole stream, even when clips of a folder differ.
struct OutputSize {
  int width = 0;
  int height = 0;
  bool operator==(const OutputSize& o) const { return width == o.width && height == o.height; }
};

// Columns x … x + width − 1, rows y … y + height − 1.
struct PixelRect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  bool operator==(const PixelRect& o) const { return x == o.x && y == o.y && width == o.width && height == o.height; }
  bool operator!=(const PixelRect& o) const { return !(*this == o); }
};

// Which part of a picture is scaled onto which part of a delivered frame (source.fit).
//   crop:    `from` is the centred part of the picture with the frame's aspect ratio; `to` the frame
//   pad:     `from` is the picture; `to` the centred part of the frame with the picture's aspect
//            ratio (the rest is black)
//   stretch: both whole
// Either way the picture is scaled by one factor on both axes (up to rounding to whole pixels),
// except under stretch.
struct FitPlan {
  PixelRect from;
  PixelRect to;
};

// Checks the fields every source shares (channels 1 or 3, sizes in range, fps >= 0); throws
// SourceError naming `options.path` and what was expected.
void check_source_options(const SourceOptions& options);

// options.width/height, or the native size where they are 0; one of them alone keeps the native
// aspect ratio (e.g. width 320 of a 640×480 clip gives 320×240).
OutputSize output_size(const SourceOptions& options, int native_width, int native_height);

// How a width × height picture (upright) fills a frame of `frame` size.
FitPlan plan_fit(int width, int height, OutputSize frame, Fit fit);

// "crop", "pad", "stretch": as the config and `vidssl probe` say it.
const char* fit_name(Fit fit);

}  // namespace vidssl
