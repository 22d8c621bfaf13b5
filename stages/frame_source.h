#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/neartofar/stereo_camera.h"
#include "pipeline/frame.h"
#include "stages/frame_buffer_pool.h"

namespace vidssl {

// Thrown when a source cannot start at all (missing file, unreadable header, no decoder). The
// message is one line naming the file and what was expected, e.g.
//   "clips/a.mp4: cannot open: moov atom not found (an MP4 without its index?)"
class SourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a picture of another shape is fitted to the delivered size (source.fit).
enum class Fit {
  crop,     // scale so that the picture covers the frame, cut the overflow off both sides equally
  pad,      // scale so that the picture fits inside, black bars on both sides (luma 0, chroma 128)
  stretch,  // scale each axis on its own: fills the frame, distorts the picture
};

// What every source is asked for, whatever its kind.
struct SourceOptions {
  std::string path;          // file, folder, "lavfi:<graph>", "v4l2:/dev/videoN", "*.y4m", "synthetic:<kind>"
  int width = 0;             // output size; 0 keeps the source's (upright) size, a folder's first clip's
  int height = 0;
  int channels = 1;          // 1: luma (Y); 3: YUV (full resolution, 4:4:4)
  bool realtime = false;     // pace a file at its frame rate, as a live source would deliver it
  std::int64_t max_frames = -1;  // stop after this many frames (all clips together); -1: no limit
  Fit fit = Fit::crop;       // a picture whose aspect ratio differs from the output size's
  double fps = 0;            // > 0: resample by timestamps to this rate (ResampledSource); 0: every frame
  // FFmpeg input options, name → value, given to the input as it opens: a camera's video_size
  // (640x480), framerate (30), input_format (mjpeg). Unused by Y4M, stereo and synthetic sources.
  std::vector<std::pair<std::string, std::string>> device_options = {};
  // A camera, FIFO, character device or socket that ends is reopened (a run waits for it to come
  // back, stages/live_input.h); false: its end is the stream's end (`vidssl eval` reads a pipe once).
  bool reopen_live = true;
  // A data-parallel run's rank reads its own share of a folder: the clips whose place in the sorted
  // list is `shard` modulo `shards` (every clip once over the ranks).
  int shard = 0;
  int shards = 1;
  // Decode into pinned (page-locked) memory, recycled (stages/frame_buffer_pool.h): set by the run
  // when a learner trains on a GPU, so that the upload is asynchronous; not a config key.
  bool pinned = false;
};

struct SourceInfo {
  std::string description;    // what is being read, for logs
  int width = 0;              // output size
  int height = 0;
  int channels = 1;
  double fps = 0;             // nominal frame rate; 0 if unknown
  std::int64_t frame_count = -1;  // known total over all clips, or -1
  bool live = false;          // a camera or a generator: drop policies apply
  std::optional<StereoCamera> stereo;  // a stereo source's cameras at the output size: frames carry the right picture
};

// A stream of frames from one input. Damaged input does not throw mid-stream: the frames before
// the damage are delivered, a one-line warning naming the file and what was expected is queued
// (take_warnings()), and the source goes on with the next clip, or ends.
//
// Frame fields: index counts every frame delivered (0, 1, 2, ...); clip_id starts at 0 and grows
// by one at every clip boundary (each file of a folder is its own clip); clip_frame restarts at 0
// in each clip; timestamp_us is the presentation time (µs) on the source's clock; image is a
// uint8 C×H×W CPU tensor.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Fills `frame` with the next frame; false at the end of the stream.
  virtual bool read(Frame& frame) = 0;
  virtual const SourceInfo& info() const = 0;
  // Warnings queued since the last call, oldest first.
  std::vector<std::string> take_warnings() {
    std::vector<std::string> out;
    out.swap(warnings_);
    return out;
  }

  // A live source whose input ended (a camera unplugged, a pipe's writer gone) reopens it inside
  // read(), waiting as long as it takes. While it does, reconnecting() is true; reconnected_at_ns()
  // is when the last reopening ended (steady clock, 0: never). Read from the run's watchdog thread,
  // which tells a source waiting for its input to come back from one stuck in a read.
  bool reconnecting() const { return reconnecting_.load(std::memory_order_acquire); }
  std::int64_t reconnected_at_ns() const { return reconnected_at_ns_.load(std::memory_order_acquire); }

  // The recycled memory the frames' pictures are decoded into (stages/frame_buffer_pool.h).
  // open_source pins it when SourceOptions::pinned asks; before the first read.
  void pin_frames() { frame_buffers_ = FrameBufferPool({.pinned = true}); }
  const FrameBufferPool& frame_buffers() const { return frame_buffers_; }

 protected:
  // A C×H×W uint8 picture to fill, from the pool.
  torch::Tensor frame_buffer(std::int64_t channels, std::int64_t height, std::int64_t width) {
    return frame_buffers_.acquire(channels, height, width);
  }
  void warn(std::string message) { warnings_.push_back(std::move(message)); }
  // Calls `open` until it does not throw SourceError, waiting reconnect_wait_s (stages/live_input.h)
  // between attempts, with reconnecting() true meanwhile; warns at the first failure and, once open,
  // "<path>: reopened after S s (clip <clip>)".
  void reopen_with_backoff(const std::string& path, std::int32_t clip, const std::function<void()>& open);

 private:
  std::vector<std::string> warnings_;
  FrameBufferPool frame_buffers_;
  std::atomic<bool> reconnecting_{false};
  std::atomic<std::int64_t> reconnected_at_ns_{0};
};


}  // namespace vidssl
