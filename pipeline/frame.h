#pragma once

#include <cstdint>

#include <torch/types.h>

namespace vidssl {

// One decoded picture as it travels between stages.
//
// Why these fields: learning from a stream needs to know which frames are consecutive. `index`
// counts every frame the source produced (a gap means a frame was dropped on the way), `clip_id`
// changes at every clip boundary (a new file in a folder, a reopened camera), so a training pair
// or triplet is only formed from frames with the same clip_id and consecutive indices.
struct Frame {
  std::int64_t index = -1;         // 0-based position in the source's stream
  std::int64_t timestamp_us = 0;   // presentation time on the source's clock
  std::int32_t source_id = 0;
  std::int32_t clip_id = 0;
  std::int64_t clip_frame = 0;     // 0-based position inside the clip
  torch::Tensor image;             // C×H×W, uint8 (decoded) or float32 (preprocessed)
  torch::Tensor right;             // stereo: the right image, same layout; undefined otherwise
  torch::Tensor original;          // after preprocessing: the decoded uint8 picture, for display
};

}  // namespace vidssl
