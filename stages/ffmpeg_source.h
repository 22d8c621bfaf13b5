#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/clock.h"
#include "stages/frame_pacer.h"
#include "stages/frame_source.h"
#include "stages/orientation.h"
#include "stages/source_geometry.h"

struct AVCodecContext;
struct AVFormatContext;
struct AVFrame;
struct AVPacket;
struct SwsContext;

namespace vidssl {

// One clip as stored, before it is turned upright and fitted: what `vidssl probe` reports.
struct VideoClipInfo {
  std::string path;
  std::string codec;              // the stream's codec: "h264", "vp9", "av1", …
  std::string decoder;            // the FFmpeg decoder reading it: "h264", "libdav1d", …
  int width = 0;                  // as stored
  int height = 0;
  Orientation orientation;        // from the stream's display matrix
  double fps = 0;                 // FFmpeg's guess of the frame rate; 0 if unknown
  double average_fps = 0;         // frames over duration, as the container says; 0 if unknown. Far
                                  // from fps: a variable frame rate (a phone's)
  std::int64_t frame_count = -1;  // the container's count, -1 if unknown
  int decoder_threads = 1;        // the threads decoding it
};

struct FfmpegSourceOptions {
  // 0: chosen per clip from its native size and spare_cores (stages/decoder_threads.h).
  int decoder_threads = 0;
  // The cores training leaves to decoding (stages/decoder_threads.h: spare_cores); -1: every core
  // (nothing else runs: probes, tests, benchmarks).
  int spare_cores = -1;
  // A clip whose decoder fails this many packets in a row is given up (with a warning), so a
  // file of garbage that happens to open ends instead of spinning through it.
  int max_consecutive_decode_errors = 100;
};

// Frames from anything FFmpeg reads: a video file, a folder of clips, a camera or a filter graph.
// It is the one source that needs FFmpeg (the core reads only Y4M and synthetic video).
//
// Paths:
//   clip.mp4                 one file, one clip
//   clips/                   its video files sorted by name, each its own clip (clip_id + 1 per
//                            file); a file that cannot be opened or decoded is skipped with a warning
//   lavfi:testsrc=size=320x240:rate=30   a libavfilter graph, a live stand-in for tests
//   v4l2:/dev/video0         a webcam (live); source.device_options reach its input, e.g.
//                            {video_size: 640x480, framerate: 30, input_format: mjpeg}
//   a FIFO or device path    a stream another program writes (live)
//
// A webcam or a pipe that ends (unplugged, its writer gone) is reopened inside read(), waiting
// with back-off (stages/live_input.h) while reconnecting() says so; the frames after it are a new
// clip. A filter graph that ends is done.
//
// Every picture is first turned upright as its stream's display matrix says (a phone's portrait
// clip), then fitted to the output size as options.fit says (crop, pad or stretch), each clip on
// its own. The output size is fixed when the source opens (options.width/height, else the first
// clip's upright size), so every clip of a folder comes out at one size. Timestamps are the
// frames' presentation times in µs from the start of their clip, made strictly increasing per clip.
//
//   FfmpegSource source({.path = "clip.mp4", .width = 320, .height = 240});
//   Frame frame;
//   while (source.read(frame)) use(frame.image);            // 1×240×320 uint8
//   for (const auto& w : source.take_warnings()) log(w);    // e.g. a truncated file
class FfmpegSource final : public FrameSource {
 public:
  explicit FfmpegSource(SourceOptions options, FfmpegSourceOptions ffmpeg = {}, Clock* clock = nullptr);
  ~FfmpegSource() override;

  bool read(Frame& frame) override;
  const SourceInfo& info() const override { return info_; }
  // The clip opened last: the one being read (the first one right after opening).
  const VideoClipInfo& clip_info() const { return clip_info_; }

 private:
  struct FormatCloser { void operator()(AVFormatContext* p) const; };
  struct CodecFreer { void operator()(AVCodecContext* p) const; };
  struct FrameFreer { void operator()(AVFrame* p) const; };
  struct PacketFreer { void operator()(AVPacket* p) const; };
  struct SwsFreer { void operator()(SwsContext* p) const; };

  // One open input: a file of the folder, the file, or the device.
  struct Clip {
    VideoClipInfo info;  // info.path names the clip in messages
    std::unique_ptr<AVFormatContext, FormatCloser> format;
    std::unique_ptr<AVCodecContext, CodecFreer> codec;
    int stream = -1;
    std::int64_t packets = 0;           // of the video stream, read so far
    std::int64_t delivered = 0;
    int consecutive_errors = 0;
    std::int64_t decode_errors = 0;
    std::string last_error;
    std::string read_error;             // why reading stopped before the end, if it did
    bool draining = false;              // end of input: the decoder is being flushed
    std::int64_t origin_pts = 0;        // stream start time, in stream time base
    bool origin_set = false;
    std::int64_t last_timestamp_us = -1;
    double frame_period_us = 0;
  };
  enum class Kind { file, folder, lavfi, v4l2 };
  // What the cached SwsContext converts (a clip of another size or format needs a new one).
  struct SwsKey {
    int src_width = 0, src_height = 0, src_format = -1, dst_width = 0, dst_height = 0, dst_format = -1;
    bool operator==(const SwsKey& o) const {
      return src_width == o.src_width && src_height == o.src_height && src_format == o.src_format &&
             dst_width == o.dst_width && dst_height == o.dst_height && dst_format == o.dst_format;
    }
  };

  std::unique_ptr<Clip> open_clip(const std::string& name) const;
  // Opens the next clip of the input (reopens a live one); false when there is none left.
  bool open_next_clip();
  // A live input that ended: opens it again, waiting with back-off until it opens.
  void reopen();
  // Decodes the next picture of the current clip into decoded_; false at its end.
  bool decode_next();
  // Counts a failed packet; true when the clip has failed too often in a row to go on.
  bool give_up_after(int decode_error);
  void finish_clip();
  // The decoded picture upright and fitted; undefined when its pixel format cannot be converted.
  torch::Tensor convert();
  // `in` at width × height as options.channels planes (luma, or YUV 4:4:4); undefined when its
  // pixel format cannot be converted.
  torch::Tensor scale(const AVFrame& in, int width, int height);
  std::int64_t timestamp_us();

  SourceOptions options_;
  FfmpegSourceOptions ffmpeg_;
  SourceInfo info_;
  Kind kind_ = Kind::file;
  bool reconnects_ = false;  // a camera or a pipe: reopened when it ends
  std::vector<std::string> files_;  // folder: the clips still to open, in order
  std::size_t next_file_ = 0;
  std::unique_ptr<Clip> clip_;
  VideoClipInfo clip_info_;
  std::int32_t clip_id_ = -1;
  std::unique_ptr<AVPacket, PacketFreer> packet_;
  std::unique_ptr<AVFrame, FrameFreer> decoded_;
  std::unique_ptr<SwsContext, SwsFreer> sws_;
  SwsKey sws_key_;
  torch::Tensor chroma_scratch_;  // sws output planes not delivered (U, V when only Y is asked)
  FramePacer pacer_;
  std::int64_t delivered_ = 0;
};

}  // namespace vidssl
