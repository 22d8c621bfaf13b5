#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

struct AVCodecContext;
struct AVFormatContext;
struct AVFrame;
struct SwsContext;

namespace vidssl {

// A video file written frame by frame with every write checked: an .avi holds MJPEG (each frame a
// picture: a run killed mid-way leaves a video readable up to its last frame), an .mp4 holds MPEG-4
// part 2 (smaller; readable once closed). cv::VideoWriter::write returns nothing, so a full disk or
// a file-size limit would leave a truncated video behind a run that reports success; here frames are
// encoded by libavcodec, muxed by libavformat and flushed to the file one by one, so a failure is one
// line naming the file at the frame that failed. Example:
//   VideoFileWriter video("run/neartofar/overlay.avi", 10.0, {320, 480});
//   video.write(picture);  // BGR, 8-bit; another size is scaled to the first
//   video.close();         // the index; the destructor closes quietly when a write threw
class VideoFileWriter {
 public:
  // Throws std::runtime_error "<path>: cannot ... (<reason>)"; std::invalid_argument for a path that
  // ends neither in .avi nor in .mp4.
  VideoFileWriter(std::string path, double fps, cv::Size size);
  ~VideoFileWriter();
  VideoFileWriter(const VideoFileWriter&) = delete;
  VideoFileWriter& operator=(const VideoFileWriter&) = delete;

  // Throws std::runtime_error "<path>: cannot write a video frame (<reason>)" and closes the file
  // (close() is then a no-op; the frames before stay readable in an .avi).
  void write(const cv::Mat& bgr);
  // Drains the encoder, writes the index and closes; throws as write() does. Idempotent.
  void close();

  const std::string& path() const { return path_; }
  std::int64_t frames() const { return frames_; }

 private:
  struct Closer {
    void operator()(AVFormatContext* p) const;
    void operator()(AVCodecContext* p) const;
    void operator()(AVFrame* p) const;
    void operator()(SwsContext* p) const;
  };
  void check(int error, const char* what) const;
  // Sends a frame (nullptr: the end) and writes every packet the encoder returns.
  void encode(AVFrame* frame, const char* what);

  std::string path_;
  cv::Size given_;  // the size asked for; the file's is rounded down to even sides (4:2:0 chroma)
  std::unique_ptr<AVFormatContext, Closer> format_;
  std::unique_ptr<AVCodecContext, Closer> encoder_;
  std::unique_ptr<AVFrame, Closer> frame_;
  std::unique_ptr<SwsContext, Closer> to_yuv_;
  std::int64_t frames_ = 0;
};

}  // namespace vidssl
