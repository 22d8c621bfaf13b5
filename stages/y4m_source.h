#pragma once

#include <fstream>
#include <memory>

#include "pipeline/clock.h"
#include "stages/frame_pacer.h"
#include "stages/frame_source.h"
#include "stages/source_geometry.h"
#include "stages/y4m_reader.h"

namespace vidssl {

// Frames from a YUV4MPEG2 file (mono, 4:2:0 or 4:4:4): the portable raw format, read without
// FFmpeg, so a GPU machine with LibTorch alone can still train from video (convert once with
// `ffmpeg -i clip.mp4 -pix_fmt yuv420p clip.y4m`).
//
// Output: luma when channels = 1; Y, U, V at full resolution when channels = 3 (4:2:0 chroma
// upsampled by pixel replication); fitted (source.fit, bilinear) when another size is asked. A bad header throws
// SourceError; a damaged or short last frame ends the stream with a warning after every complete
// frame was delivered. Timestamps are frame k × the header's frame period.
//
//   Y4mSource source({.path = "clip.y4m", .channels = 3});
//   Frame frame;
//   while (source.read(frame)) use(frame.image);   // 3×H×W uint8
class Y4mSource final : public FrameSource {
 public:
  explicit Y4mSource(SourceOptions options, Clock* clock = nullptr);

  bool read(Frame& frame) override;
  const SourceInfo& info() const override { return info_; }
  // The stream as stored: native size, rate, colour space.
  const Y4mHeader& header() const { return reader_->header(); }

 private:
  torch::Tensor to_image() const;

  SourceOptions options_;
  SourceInfo info_;
  std::ifstream file_;
  std::unique_ptr<Y4mReader> reader_;
  FramePacer pacer_;
  std::int64_t delivered_ = 0;
  bool damage_reported_ = false;
};

}  // namespace vidssl
