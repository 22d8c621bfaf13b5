#include "stages/video_file_writer.h"

#include <stdexcept>

#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include "stages/ffmpeg_log.h"

namespace vidssl {
namespace {

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

}  // namespace

void VideoFileWriter::Closer::operator()(AVFormatContext* p) const {
  if (p->pb) avio_closep(&p->pb);
  avformat_free_context(p);
}
void VideoFileWriter::Closer::operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
void VideoFileWriter::Closer::operator()(AVFrame* p) const { av_frame_free(&p); }
void VideoFileWriter::Closer::operator()(SwsContext* p) const { sws_freeContext(p); }

VideoFileWriter::VideoFileWriter(std::string path, double fps, cv::Size size) : path_(std::move(path)), given_(size) {
  const bool mp4 = ends_with(path_, ".mp4");
  if (!mp4 && !ends_with(path_, ".avi")) throw std::invalid_argument(path_ + ": expected a video path ending in .avi or .mp4");
  if (!(fps > 0) || size.width < 2 || size.height < 2) throw std::invalid_argument(path_ + ": a video needs a positive rate and size");
  init_ffmpeg();
  clear_ffmpeg_log();

  AVFormatContext* format = nullptr;
  check(avformat_alloc_output_context2(&format, nullptr, mp4 ? "mp4" : "avi", path_.c_str()), "cannot start the video");
  format_.reset(format);
  const AVCodec* codec = avcodec_find_encoder(mp4 ? AV_CODEC_ID_MPEG4 : AV_CODEC_ID_MJPEG);
  if (!codec) throw std::runtime_error(path_ + ": this FFmpeg has no " + (mp4 ? "MPEG-4" : "MJPEG") + " encoder");
  encoder_.reset(avcodec_alloc_context3(codec));
  AVStream* stream = avformat_new_stream(format, nullptr);
  if (!encoder_ || !stream) throw std::runtime_error(path_ + ": cannot start the video (out of memory)");

  AVCodecContext* e = encoder_.get();
  e->width = size.width & ~1;
  e->height = size.height & ~1;
  e->framerate = av_d2q(fps, 100000);
  e->time_base = av_inv_q(e->framerate);
  e->pix_fmt = mp4 ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUVJ420P;
  // A fixed quantizer (2 is near-lossless, 31 worst): panels are small and carry thin text.
  e->flags |= AV_CODEC_FLAG_QSCALE;
  e->global_quality = FF_QP2LAMBDA * 3;
  if (format->oformat->flags & AVFMT_GLOBALHEADER) e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  check(avcodec_open2(e, codec, nullptr), "cannot open the video encoder");
  check(avcodec_parameters_from_context(stream->codecpar, e), "cannot start the video");
  stream->time_base = e->time_base;
  stream->avg_frame_rate = e->framerate;

  frame_.reset(av_frame_alloc());
  if (!frame_) throw std::runtime_error(path_ + ": cannot start the video (out of memory)");
  frame_->format = e->pix_fmt;
  frame_->width = e->width;
  frame_->height = e->height;
  check(av_frame_get_buffer(frame_.get(), 0), "cannot start the video");
  to_yuv_.reset(sws_getContext(e->width, e->height, AV_PIX_FMT_BGR24, e->width, e->height, e->pix_fmt, SWS_BILINEAR, nullptr, nullptr,
                               nullptr));
  if (!to_yuv_) throw std::runtime_error(path_ + ": cannot start the video (no BGR to YUV conversion)");

  check(avio_open(&format->pb, path_.c_str(), AVIO_FLAG_WRITE), "cannot open to write");
  check(avformat_write_header(format, nullptr), "cannot write the video header");
  avio_flush(format->pb);
  check(format->pb->error, "cannot write the video header");
}

VideoFileWriter::~VideoFileWriter() = default;

void VideoFileWriter::check(int error, const char* what) const {
  if (error < 0) throw std::runtime_error(path_ + ": " + what + " (" + ffmpeg_failure_text(error) + ")");
}

void VideoFileWriter::encode(AVFrame* frame, const char* what) {
  check(avcodec_send_frame(encoder_.get(), frame), what);
  AVPacket* packet = av_packet_alloc();
  if (!packet) throw std::runtime_error(path_ + ": " + what + " (out of memory)");
  int error = 0;
  while ((error = avcodec_receive_packet(encoder_.get(), packet)) >= 0) {
    av_packet_rescale_ts(packet, encoder_->time_base, format_->streams[0]->time_base);
    packet->stream_index = 0;
    error = av_interleaved_write_frame(format_.get(), packet);  // takes the packet's data
    if (error < 0) break;
  }
  av_packet_free(&packet);
  if (error != AVERROR(EAGAIN) && error != AVERROR_EOF) check(error, what);
  avio_flush(format_->pb);
  check(format_->pb->error, what);
}

void VideoFileWriter::write(const cv::Mat& bgr) {
  if (!format_) throw std::logic_error(path_ + ": written after close");
  if (bgr.type() != CV_8UC3) throw std::invalid_argument(path_ + ": a video frame must be 8-bit BGR");
  cv::Mat picture = bgr;
  if (picture.size() != given_) cv::resize(bgr, picture, given_, 0, 0, cv::INTER_AREA);
  picture = picture(cv::Rect(0, 0, encoder_->width, encoder_->height));
  clear_ffmpeg_log();
  check(av_frame_make_writable(frame_.get()), "cannot write a video frame");
  const std::uint8_t* planes[] = {picture.data};
  const int strides[] = {static_cast<int>(picture.step[0])};
  sws_scale(to_yuv_.get(), planes, strides, 0, picture.rows, frame_->data, frame_->linesize);
  frame_->pts = frames_;
  try {
    encode(frame_.get(), "cannot write a video frame");
  } catch (...) {
    format_.reset();  // closed: the failure is told once, not again by close()
    throw;
  }
  ++frames_;
}

void VideoFileWriter::close() {
  if (!format_) return;
  clear_ffmpeg_log();
  try {  // a file whose end failed is closed all the same, once
    encode(nullptr, "cannot finish the video");
    check(av_write_trailer(format_.get()), "cannot finish the video");
    avio_flush(format_->pb);
    check(format_->pb->error, "cannot finish the video");
    check(avio_closep(&format_->pb), "cannot finish the video");
  } catch (...) {
    format_.reset();
    throw;
  }
  format_.reset();
}

}  // namespace vidssl
