#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "pipeline/frame.h"
#include "pipeline/stage.h"
#include "stages/frame_source.h"

namespace vidssl {

// Runs a FrameSource (a file, a folder, a camera, a generator) as the first stage of a pipeline.
// Warnings about damaged input go to `warn` as they happen; the stream goes on. On --resume
// (first_frame > 0) a file's frames a checkpoint already trained on are read and skipped, so the
// run continues with exactly the frame it would have seen next; a live source (a camera, a pipe)
// cannot be rewound, so its frames are numbered on from first_frame instead: the run continues
// from the live frame, and frame indices stay increasing across the resume. A `paced` source (a camera, a realtime file)
// should deliver frame t at t after its clip's first frame: how far it falls behind that, held
// back by models on block edges, is measured at every frame (behind_s()).
class SourceStage final : public Source<Frame> {
 public:
  using Warn = std::function<void(const std::string&)>;
  SourceStage(std::string name, std::unique_ptr<FrameSource> source, Warn warn, std::int64_t first_frame = 0, bool paced = false)
      : Source<Frame>(std::move(name)),
        source_(std::move(source)),
        warn_(std::move(warn)),
        first_frame_(first_frame),
        live_(source_->info().live),
        paced_(paced) {}

  const SourceInfo& info() const { return source_->info(); }

  // Seconds the source has been inside its current read; 0 while it is not reading (between
  // frames, or waiting for room on a full edge, which is the learners' pace, not a stall). What the
  // run's stall watchdog reads, from another thread: a read blocked in the kernel cannot time out
  // by itself on every kind of source, but it can be seen from outside.
  double reading_for_s() const {
    const std::int64_t since = read_started_ns_.load(std::memory_order_acquire);
    if (since == 0) return 0;
    return 1e-9 * static_cast<double>(now_ns() - since);
  }
  // Seconds the source has been stuck: in its current read since it last reopened its input, 0
  // while it waits for a live input to come back (the wait is expected, reading_for_s() shows it).
  double stalled_for_s() const {
    const std::int64_t started = read_started_ns_.load(std::memory_order_acquire);
    if (started == 0 || source_->reconnecting()) return 0;
    return 1e-9 * static_cast<double>(now_ns() - std::max(started, source_->reconnected_at_ns()));
  }
  bool reconnecting() const { return source_->reconnecting(); }

  // Seconds the newest frame came after its time on the clip's clock (0 when on time, or not paced).
  double behind_s() const { return 1e-9 * static_cast<double>(behind_ns_.load(std::memory_order_relaxed)); }

 protected:
  bool process(Outputs<Frame>& out) override {
    Frame frame;
    read_started_ns_.store(now_ns(), std::memory_order_release);
    const bool more = source_->read(frame);
    read_started_ns_.store(0, std::memory_order_release);
    for (auto& warning : source_->take_warnings()) warn_(warning);
    if (!more) {
      behind_ns_.store(0, std::memory_order_relaxed);  // the stream is over: nothing is late any more
      return false;
    }
    if (live_)
      frame.index += first_frame_;
    else if (frame.index < first_frame_)
      return true;
    if (paced_) measure_lateness(frame);
    return out.emit(frame);
  }

 private:
  void measure_lateness(const Frame& frame) {
    const std::int64_t now = now_ns();
    if (clip_ != frame.clip_id) {  // timestamps restart at every clip (clip ids start at 0)
      clip_ = frame.clip_id;
      origin_ns_ = now;
      origin_timestamp_us_ = frame.timestamp_us;
    }
    const std::int64_t late = (now - origin_ns_) - 1000 * (frame.timestamp_us - origin_timestamp_us_);
    behind_ns_.store(late > 0 ? late : 0, std::memory_order_relaxed);
  }

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  std::unique_ptr<FrameSource> source_;
  Warn warn_;
  std::int64_t first_frame_;
  bool live_;
  bool paced_;
  std::atomic<std::int64_t> read_started_ns_{0};
  std::int32_t clip_ = -1;  // the clip whose clock origin_ns_ and origin_timestamp_us_ hold
  std::int64_t origin_ns_ = 0;
  std::int64_t origin_timestamp_us_ = 0;
  std::atomic<std::int64_t> behind_ns_{0};
};

}  // namespace vidssl
