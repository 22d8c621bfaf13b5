#include "stages/orientation.h"

#include <cstdlib>

#include <torch/torch.h>

namespace vidssl {

int Orientation::rotation() const {
  if (transpose) return hflip ? 90 : 270;
  return vflip ? 180 : 0;
}

bool Orientation::mirrored() const { return transpose ? hflip == vflip : hflip != vflip; }

OutputSize Orientation::upright_size(int stored_width, int stored_height) const {
  return transpose ? OutputSize{stored_height, stored_width} : OutputSize{stored_width, stored_height};
}

PixelRect Orientation::stored_rect(const PixelRect& upright, int stored_width, int stored_height) const {
  const OutputSize size = upright_size(stored_width, stored_height);
  PixelRect r = upright;
  // Undone in the reverse order of the turn: vflip, hflip, transpose.
  if (vflip) r.y = size.height - r.y - r.height;
  if (hflip) r.x = size.width - r.x - r.width;
  if (transpose) r = {r.y, r.x, r.height, r.width};
  return r;
}

Orientation orientation_from_display_matrix(const std::int32_t matrix[9]) {
  const std::int64_t m0 = matrix[0], m1 = matrix[1], m3 = matrix[3], m4 = matrix[4];
  Orientation o;
  // Whichever pair dominates decides between keeping and swapping the axes; the nearest quarter turn.
  if (std::llabs(m1) + std::llabs(m3) > std::llabs(m0) + std::llabs(m4)) {
    // p' = m3·q, q' = m1·p: a column of the upright picture is a row of the stored one.
    o.transpose = true;
    o.hflip = m3 < 0;
    o.vflip = m1 < 0;
  } else {
    o.hflip = m0 < 0;
    o.vflip = m4 < 0;
  }
  return o;
}

torch::Tensor turn_upright(const torch::Tensor& image, const Orientation& orientation) {
  if (orientation.is_identity()) return image;
  torch::Tensor turned = orientation.transpose ? image.transpose(1, 2) : image;
  std::vector<std::int64_t> flips;
  if (orientation.vflip) flips.push_back(1);
  if (orientation.hflip) flips.push_back(2);
  if (!flips.empty()) turned = turned.flip(flips);
  return turned.contiguous();
}

}  // namespace vidssl
