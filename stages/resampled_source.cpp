#include "stages/resampled_source.h"

#include <cmath>
#include <cstdio>

#include <torch/torch.h>

namespace vidssl {

ResampledSource::ResampledSource(std::unique_ptr<FrameSource> source, double fps, std::int64_t max_frames,
                                 bool realtime, Clock* clock)
    : source_(std::move(source)), info_(source_->info()), period_us_(1e6 / fps), max_frames_(max_frames),
      realtime_(realtime), pacer_(clock) {
  if (!(fps > 0 && std::isfinite(fps)))
    throw SourceError(info_.description + ": expected a frame rate above 0 to resample to, got " + std::to_string(fps));
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", fps);
  info_.description += std::string(", resampled to ") + rate + " fps";
  info_.fps = fps;
  info_.frame_count = -1;  // depends on the timestamps, which are not known before they are read
}

bool ResampledSource::pull(Frame& frame) {
  const bool got = source_->read(frame);
  for (auto& warning : source_->take_warnings()) warn(std::move(warning));
  return got;
}

void ResampledSource::start_clip() {
  clip_start_us_ = current_.timestamp_us;
  tick_ = 0;
  clip_delivered_ = 0;
  pacer_.start();
}

bool ResampledSource::read(Frame& frame) {
  if (max_frames_ >= 0 && delivered_ >= max_frames_) return false;
  if (!started_) {
    if (!pull(current_)) return false;
    has_next_ = pull(next_);
    start_clip();
    started_ = true;
  }
  for (;;) {
    const std::int64_t tick_us = clip_start_us_ + std::llround(static_cast<double>(tick_) * period_us_);
    const auto next_in_clip = [&] { return has_next_ && next_.clip_id == current_.clip_id; };
    while (next_in_clip() && next_.timestamp_us <= tick_us) {
      current_ = std::move(next_);
      has_next_ = pull(next_);
    }
    if (tick_us > current_.timestamp_us && !next_in_clip()) {
      // No frame of this clip at or after the tick: the clip's ticks are over.
      if (!has_next_) return false;
      current_ = std::move(next_);
      has_next_ = pull(next_);
      start_clip();
      continue;
    }
    const bool next_nearer = next_in_clip() && next_.timestamp_us - tick_us < tick_us - current_.timestamp_us;
    const Frame& chosen = next_nearer ? next_ : current_;
    frame = chosen;
    if (chosen.index == last_source_index_) {
      frame.image = chosen.image.clone();
      if (chosen.right.defined()) frame.right = chosen.right.clone();
    }
    last_source_index_ = chosen.index;
    frame.index = delivered_++;
    frame.clip_frame = clip_delivered_++;
    ++tick_;
    if (realtime_) pacer_.wait(tick_us);
    return true;
  }
}

SourceOptions options_before_resampling(const SourceOptions& options) {
  if (options.fps <= 0) return options;
  SourceOptions every_frame = options;
  every_frame.fps = 0;
  every_frame.max_frames = -1;
  every_frame.realtime = false;
  return every_frame;
}

std::unique_ptr<FrameSource> resample(std::unique_ptr<FrameSource> source, const SourceOptions& options, Clock* clock) {
  if (options.fps <= 0) return source;
  return std::make_unique<ResampledSource>(std::move(source), options.fps, options.max_frames, options.realtime, clock);
}

}  // namespace vidssl
