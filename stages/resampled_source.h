#pragma once

#include <cstdint>
#include <memory>

#include "pipeline/clock.h"
#include "stages/frame_pacer.h"
#include "stages/frame_source.h"

namespace vidssl {

// Another source's frames resampled by their timestamps to a fixed rate (source.fps), so that
// consecutive frames are a fixed Δt = 1/fps apart whatever the clip's own rate or its jitter: a
// 60 fps and a 24 fps clip, or a phone's variable-rate clip, then show the same motion per
// training step.
//
// Within each clip, tick k falls at t0 + k·Δt (t0: the clip's first timestamp) and gets the
// source frame nearest to it (the earlier one on a tie): frames are dropped when the source is
// faster and repeated when it is slower. A clip's ticks end at its last frame, so every delivered
// timestamp is within half a source frame period of its tick. Delivered frames keep the source's
// timestamp and clip_id; index and clip_frame count the delivered frames, so they stay
// consecutive; a repeated frame is a copy. It reads one frame ahead to know which is nearest (a
// live source's frames wait up to one source frame period longer).
//
//   auto source = std::make_unique<ResampledSource>(open_source({.path = "phone.mp4"}), 15.0);
//   Frame frame;
//   while (source->read(frame)) use(frame);   // timestamps ≈ 0, 66667, 133333, … µs
class ResampledSource final : public FrameSource {
 public:
  // `source` delivers every frame (no max_frames of its own, no pacing); max_frames counts the
  // delivered frames, and realtime paces them at their ticks.
  ResampledSource(std::unique_ptr<FrameSource> source, double fps, std::int64_t max_frames = -1,
                  bool realtime = false, Clock* clock = nullptr);

  bool read(Frame& frame) override;
  const SourceInfo& info() const override { return info_; }

 private:
  // The source's next frame, its warnings passed on; false at its end.
  bool pull(Frame& frame);
  void start_clip();

  std::unique_ptr<FrameSource> source_;
  SourceInfo info_;
  double period_us_;
  std::int64_t max_frames_;
  bool realtime_;
  FramePacer pacer_;
  Frame current_;              // the latest frame at or before the tick
  Frame next_;                 // the one after it, when has_next_
  bool started_ = false;
  bool has_next_ = false;
  std::int64_t clip_start_us_ = 0;
  std::int64_t tick_ = 0;      // k, within the clip
  std::int64_t clip_delivered_ = 0;
  std::int64_t delivered_ = 0;
  std::int64_t last_source_index_ = -1;  // of the frame delivered last: a repeat is copied
};

// The options to open the source a ResampledSource wraps: every frame (no fps, no max_frames), unpaced.
// The options themselves when options.fps is 0.
SourceOptions options_before_resampling(const SourceOptions& options);

// `source`, opened with options_before_resampling(options), resampled as options say (fps,
// max_frames, realtime); `source` itself when options.fps is 0.
//
//   auto stereo = std::make_unique<StereoSequenceSource>(options_before_resampling(options));
//   StereoCamera camera = stereo->camera();
//   std::unique_ptr<FrameSource> source = resample(std::move(stereo), options);
std::unique_ptr<FrameSource> resample(std::unique_ptr<FrameSource> source, const SourceOptions& options,
                                      Clock* clock = nullptr);

}  // namespace vidssl
