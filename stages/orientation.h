#pragma once

#include <cstdint>

#include <torch/types.h>

#include "stages/source_geometry.h"

namespace vidssl {

// How a stored picture is turned upright: one of the eight quarter turns and mirrors a stream's
// display matrix can ask for. Phones store a portrait clip as landscape pictures plus such a
// matrix; a reader that ignores it trains on sideways frames.
//
// The turn is done in this order: swap rows and columns (transpose), then mirror left-right
// (hflip), then top-bottom (vflip). A clockwise quarter turn is transpose + hflip.
//
//   Orientation o = orientation_from_display_matrix(matrix);   // e.g. a phone's portrait clip
//   torch::Tensor upright = turn_upright(image, o);             // C×H×W → C×W×H
struct Orientation {
  bool transpose = false;
  bool hflip = false;
  bool vflip = false;

  bool is_identity() const { return !transpose && !hflip && !vflip; }
  // The same turn as a user says it: the stored picture, mirrored left-right when mirrored(), then
  // turned clockwise by rotation() degrees (0, 90, 180 or 270).
  int rotation() const;
  bool mirrored() const;
  // The size of the upright picture.
  OutputSize upright_size(int stored_width, int stored_height) const;
  // The rectangle of the stored picture that becomes `upright`, a rectangle of the upright picture.
  PixelRect stored_rect(const PixelRect& upright, int stored_width, int stored_height) const;
};

// The orientation a display matrix asks for. FFmpeg's layout (libavutil/display.h): 9 numbers,
// row-major, 16.16 fixed point; a point (p, q) of the stored picture (y down) is shown at
// (m0·p + m3·q, m1·p + m4·q) plus a translation. A rotation that is not a quarter turn is rounded
// to the nearest one.
Orientation orientation_from_display_matrix(const std::int32_t matrix[9]);

// `image` (C×H×W) turned upright; the input itself when there is nothing to turn.
torch::Tensor turn_upright(const torch::Tensor& image, const Orientation& orientation);

}  // namespace vidssl
