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
// frame was delivered. Timestamps are frame k × the header's frame period of the clip.
//
// A FIFO (or another stream: stages/live_input.h) is a live input: when its writer closes it, the
// source waits for the next writer, reads its header and goes on with a new clip (clip_id + 1; a
// stream of another size is fitted to the first one's), so a producer that restarts does not end
// the run. A stream header where a frame's is due (`cat a.y4m b.y4m`, a producer that restarted
// before the source saw the pipe close) starts a new clip too, in a file or a pipe. `mkfifo cam.y4m; ffmpeg -f v4l2 -i /dev/video0 -pix_fmt yuv420p -f yuv4mpegpipe cam.y4m`
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
  torch::Tensor to_image();
  void open_stream();
  // A live input that ended: waits for it to be writable again, with back-off when it is gone.
  void reopen();

  SourceOptions options_;
  SourceInfo info_;
  std::ifstream file_;
  std::unique_ptr<Y4mReader> reader_;
  FramePacer pacer_;
  std::int64_t delivered_ = 0;
  bool damage_reported_ = false;
  bool live_ = false;
  std::int32_t clip_ = 0;
  int stream_ = 0;  // the reader's stream of the last frame
};

}  // namespace vidssl
