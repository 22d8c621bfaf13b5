#pragma once

#include <cstdint>
#include <vector>

#include "stages/frame_source.h"

namespace vidssl::test {

// Every frame a source delivers, at most `limit` of them (tests of live or endless sources).
inline std::vector<Frame> read_frames(FrameSource& source, std::int64_t limit = -1) {
  std::vector<Frame> frames;
  Frame frame;
  while ((limit < 0 || static_cast<std::int64_t>(frames.size()) < limit) && source.read(frame)) frames.push_back(frame);
  return frames;
}

}  // namespace vidssl::test
