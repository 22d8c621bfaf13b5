#include "stages/ffmpeg_source.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <torch/torch.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "stages/decoder_threads.h"
#include "stages/ffmpeg_log.h"
#include "stages/fit_image.h"
#include "stages/live_input.h"
#include "stages/video_folder.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

constexpr std::string_view kLavfiPrefix = "lavfi:";
constexpr std::string_view kV4l2Prefix = "v4l2:";

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

// Formats whose first plane is 8-bit luma, one byte per pixel: Y can be used as it is.
bool has_plain_luma_plane(const AVPixFmtDescriptor* desc) {
  constexpr auto kNotPlainYuv = AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL;
  return desc != nullptr && !(desc->flags & kNotPlainYuv) && desc->comp[0].plane == 0 && desc->comp[0].depth == 8 &&
         desc->comp[0].step == 1 && desc->comp[0].offset == 0 && desc->comp[0].shift == 0;
}

bool is_yuv444_8bit(int format) { return format == AV_PIX_FMT_YUV444P || format == AV_PIX_FMT_YUVJ444P; }

}  // namespace

void FfmpegSource::FormatCloser::operator()(AVFormatContext* p) const { avformat_close_input(&p); }
void FfmpegSource::CodecFreer::operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
void FfmpegSource::FrameFreer::operator()(AVFrame* p) const { av_frame_free(&p); }
void FfmpegSource::PacketFreer::operator()(AVPacket* p) const { av_packet_free(&p); }
void FfmpegSource::SwsFreer::operator()(SwsContext* p) const { sws_freeContext(p); }

FfmpegSource::FfmpegSource(SourceOptions options, FfmpegSourceOptions ffmpeg, Clock* clock)
    : options_(std::move(options)), ffmpeg_(ffmpeg), pacer_(clock) {
  check_source_options(options_);
  init_ffmpeg();
  packet_.reset(av_packet_alloc());
  decoded_.reset(av_frame_alloc());
  if (!packet_ || !decoded_) throw SourceError(options_.path + ": out of memory allocating FFmpeg buffers");

  if (starts_with(options_.path, kLavfiPrefix)) {
    kind_ = Kind::lavfi;
  } else if (starts_with(options_.path, kV4l2Prefix)) {
    kind_ = Kind::v4l2;
  } else if (std::error_code error; fs::is_directory(options_.path, error)) {
    kind_ = Kind::folder;
    files_ = list_video_files(options_.path);
    if (options_.shards > 1) {
      std::vector<std::string> share;
      for (std::size_t i = static_cast<std::size_t>(options_.shard); i < files_.size(); i += static_cast<std::size_t>(options_.shards))
        share.push_back(files_[i]);
      if (share.empty())
        throw SourceError(options_.path + ": " + std::to_string(files_.size()) + " clip(s) for " + std::to_string(options_.shards) +
                          " ranks: rank " + std::to_string(options_.shard) + " has none (fewer ranks, or more clips)");
      files_ = std::move(share);
    }
  }

  // A camera or a pipe that ends is reopened; a filter graph that ends is done (its own duration).
  reconnects_ = options_.reopen_live && (kind_ == Kind::v4l2 || (kind_ == Kind::file && is_live_input(options_.path)));
  if (kind_ == Kind::folder) {
    if (!open_next_clip()) {
      const auto warnings = take_warnings();
      throw SourceError(options_.path + ": none of the " + std::to_string(files_.size()) +
                        " video files could be opened (last: " + warnings.back() + ")");
    }
  } else {
    clip_ = open_clip(options_.path);
    clip_info_ = clip_->info;
    clip_id_ = 0;
  }

  const VideoClipInfo& first = clip_->info;
  const OutputSize upright = first.orientation.upright_size(first.width, first.height);
  const OutputSize size = output_size(options_, upright.width, upright.height);
  info_.width = size.width;
  info_.height = size.height;
  info_.channels = options_.channels;
  info_.fps = first.fps;
  info_.live = kind_ == Kind::lavfi || kind_ == Kind::v4l2 || reconnects_;
  info_.frame_count = kind_ == Kind::file ? first.frame_count : -1;
  if (info_.frame_count >= 0 && options_.max_frames >= 0) info_.frame_count = std::min(info_.frame_count, options_.max_frames);
  std::string native = first.codec + ", " + std::to_string(first.width) + "x" + std::to_string(first.height);
  if (!first.orientation.is_identity())
    native += (first.orientation.mirrored() ? ", mirrored and turned " : ", turned ") +
              std::to_string(first.orientation.rotation()) + " degrees clockwise";
  info_.description = kind_ == Kind::folder
                          ? options_.path + " (" + std::to_string(files_.size()) + " video files; first " + native + ")"
                          : options_.path + " (" + native + ")";
}

FfmpegSource::~FfmpegSource() = default;

std::unique_ptr<FfmpegSource::Clip> FfmpegSource::open_clip(const std::string& name) const {
  auto clip = std::make_unique<Clip>();
  clip->info.path = name;
  const AVInputFormat* input_format = nullptr;
  std::string url = name;
  std::string expected = "expected a video file FFmpeg can read";
  if (kind_ == Kind::lavfi) {
    input_format = av_find_input_format("lavfi");
    url = name.substr(kLavfiPrefix.size());
    expected = "expected a libavfilter graph such as lavfi:testsrc=size=320x240:rate=30";
  } else if (kind_ == Kind::v4l2) {
    input_format = av_find_input_format("video4linux2");
    url = name.substr(kV4l2Prefix.size());
    expected = "expected a V4L2 camera such as v4l2:/dev/video0";
  }
  if ((kind_ == Kind::lavfi || kind_ == Kind::v4l2) && input_format == nullptr)
    throw SourceError(name + ": this FFmpeg build has no " + (kind_ == Kind::lavfi ? "lavfi" : "video4linux2") + " input");

  AVDictionary* device_options = nullptr;
  for (const auto& [key, value] : options_.device_options) av_dict_set(&device_options, key.c_str(), value.c_str(), 0);
  clear_ffmpeg_log();
  AVFormatContext* format = nullptr;
  int error = avformat_open_input(&format, url.c_str(), input_format, &device_options);
  // What the input did not take is left in the dictionary: a misspelt or foreign option.
  const AVDictionaryEntry* unused = av_dict_get(device_options, "", nullptr, AV_DICT_IGNORE_SUFFIX);
  const std::string unused_key = unused ? unused->key : "";
  av_dict_free(&device_options);
  if (error >= 0 && !unused_key.empty()) {
    std::string demuxer = format->iformat->name;
    demuxer = demuxer.substr(0, demuxer.find(','));  // "mov,mp4,m4a,…": its first name
    avformat_close_input(&format);
    throw SourceError("source.device_options." + unused_key + ": not an option of " + name + "'s FFmpeg input (its options: ffmpeg -h demuxer=" +
                      demuxer + ")");
  }
  if (error < 0) {
    const std::string reason = ffmpeg_failure_text(error);
    const bool no_index = reason.find("moov atom not found") != std::string::npos;
    throw SourceError(name + ": cannot open: " + reason + " (" + (no_index ? "an MP4 without its index?" : expected) + ")");
  }
  clip->format.reset(format);
  error = avformat_find_stream_info(format, nullptr);
  if (error < 0) throw SourceError(name + ": cannot read stream info: " + ffmpeg_failure_text(error) + " (" + expected + ")");

  const AVCodec* decoder = nullptr;
  clip->stream = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (clip->stream < 0 || decoder == nullptr)
    throw SourceError(name + ": " + (clip->stream < 0 ? "no video stream" : "no decoder for its video stream") + " (" +
                      expected + ")");
  for (unsigned i = 0; i < format->nb_streams; ++i)
    if (static_cast<int>(i) != clip->stream) format->streams[i]->discard = AVDISCARD_ALL;
  const AVStream* stream = format->streams[clip->stream];

  clip->codec.reset(avcodec_alloc_context3(decoder));
  if (!clip->codec || avcodec_parameters_to_context(clip->codec.get(), stream->codecpar) < 0)
    throw SourceError(name + ": cannot set up the " + decoder->name + " decoder");
  const int spare = ffmpeg_.spare_cores >= 0 ? ffmpeg_.spare_cores : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  clip->codec->thread_count = ffmpeg_.decoder_threads > 0
                                  ? ffmpeg_.decoder_threads
                                  : auto_decoder_threads(stream->codecpar->width, stream->codecpar->height, spare);
  // Frame threading holds back one frame per thread: too much latency for a camera.
  if (kind_ == Kind::lavfi || kind_ == Kind::v4l2) clip->codec->thread_type = FF_THREAD_SLICE;
  error = avcodec_open2(clip->codec.get(), decoder, nullptr);
  if (error < 0) throw SourceError(name + ": cannot open the " + decoder->name + " decoder: " + ffmpeg_failure_text(error));
  if (clip->codec->width <= 0 || clip->codec->height <= 0)
    throw SourceError(name + ": the video stream does not say its frame size (" + expected + ")");

  VideoClipInfo& info = clip->info;
  info.codec = avcodec_get_name(clip->codec->codec_id);
  info.decoder = decoder->name;
  info.width = clip->codec->width;
  info.height = clip->codec->height;
  info.decoder_threads = clip->codec->thread_count;
  std::size_t matrix_bytes = 0;
  const std::uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &matrix_bytes);
  if (matrix != nullptr && matrix_bytes >= 9 * sizeof(std::int32_t))
    info.orientation = orientation_from_display_matrix(reinterpret_cast<const std::int32_t*>(matrix));
  const AVRational rate = av_guess_frame_rate(format, const_cast<AVStream*>(stream), nullptr);
  info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
  const AVRational average = stream->avg_frame_rate;
  info.average_fps = average.num > 0 && average.den > 0 ? av_q2d(average) : 0.0;
  info.frame_count = stream->nb_frames > 0 ? stream->nb_frames : -1;
  clip->frame_period_us = info.fps > 0 ? 1e6 / info.fps : 0.0;
  if (stream->start_time != AV_NOPTS_VALUE) {
    clip->origin_pts = stream->start_time;
    clip->origin_set = true;
  }
  return clip;
}

bool FfmpegSource::open_next_clip() {
  if (reconnects_) {
    reopen();
    return true;
  }
  if (kind_ != Kind::folder) return false;
  while (next_file_ < files_.size()) {
    const std::string& name = files_[next_file_++];
    try {
      clip_ = open_clip(name);
    } catch (const SourceError& e) {
      warn(std::string(e.what()) + "; skipped");
      continue;
    }
    clip_info_ = clip_->info;
    ++clip_id_;
    pacer_.start();
    return true;
  }
  return false;
}

void FfmpegSource::reopen() {
  warn(options_.path + ": the input ended; reopening it (a live input is waited for)");
  reopen_with_backoff(options_.path, clip_id_ + 1, [this] { clip_ = open_clip(options_.path); });
  clip_info_ = clip_->info;
  ++clip_id_;
  pacer_.start();
}

bool FfmpegSource::decode_next() {
  Clip& clip = *clip_;
  AVCodecContext* codec = clip.codec.get();
  for (;;) {
    int error = avcodec_receive_frame(codec, decoded_.get());
    if (error == 0) {
      clip.consecutive_errors = 0;
      return true;
    }
    if (error == AVERROR_EOF) return false;
    if (error != AVERROR(EAGAIN)) {
      if (give_up_after(error)) return false;
      continue;
    }
    if (clip.draining) return false;  // the decoder wants input after a flush: nothing more will come

    error = av_read_frame(clip.format.get(), packet_.get());
    if (error < 0) {
      if (error != AVERROR_EOF) clip.read_error = ffmpeg_failure_text(error);
      clip.draining = true;
      avcodec_send_packet(codec, nullptr);
      continue;
    }
    if (packet_->stream_index != clip.stream) {
      av_packet_unref(packet_.get());
      continue;
    }
    ++clip.packets;
    error = avcodec_send_packet(codec, packet_.get());
    av_packet_unref(packet_.get());
    if (error < 0 && give_up_after(error)) return false;
  }
}

bool FfmpegSource::give_up_after(int decode_error) {
  Clip& clip = *clip_;
  ++clip.decode_errors;
  clip.last_error = ffmpeg_failure_text(decode_error);
  if (++clip.consecutive_errors < ffmpeg_.max_consecutive_decode_errors) return false;
  clip.read_error = "gave up after " + std::to_string(clip.consecutive_errors) + " undecodable packets in a row (" +
                    clip.last_error + ")";
  return true;
}

void FfmpegSource::finish_clip() {
  const Clip& clip = *clip_;
  const std::string delivered = std::to_string(clip.delivered);
  const std::int64_t declared = clip.info.frame_count;
  const bool short_of_declared = declared > 0 && clip.packets < declared;
  if (short_of_declared) {
    warn(clip.info.path + ": stream ended after " + delivered + " of " + std::to_string(declared) +
         " frames (file truncated?)" + (clip.read_error.empty() ? "" : ": " + clip.read_error));
  } else if (!clip.read_error.empty()) {
    warn(clip.info.path + ": stream ended after " + delivered + " frames: " + clip.read_error);
  } else if (clip.decode_errors > 0) {
    warn(clip.info.path + ": " + std::to_string(clip.decode_errors) + " of " + std::to_string(clip.packets) +
         " packets could not be decoded (" + clip.last_error + ")");
  } else if (clip.delivered == 0) {
    warn(clip.info.path + ": no frame could be decoded (expected a video file FFmpeg can read)");
  }
  clip_.reset();
}

std::int64_t FfmpegSource::timestamp_us() {
  Clip& clip = *clip_;
  const AVStream* stream = clip.format->streams[clip.stream];
  const std::int64_t pts = decoded_->best_effort_timestamp;
  const std::int64_t step = std::max<std::int64_t>(1, std::llround(clip.frame_period_us));
  std::int64_t t;
  if (pts == AV_NOPTS_VALUE) {
    t = clip.last_timestamp_us < 0 ? 0 : clip.last_timestamp_us + step;
  } else {
    if (!clip.origin_set) {
      clip.origin_pts = pts;
      clip.origin_set = true;
    }
    t = av_rescale_q(pts - clip.origin_pts, stream->time_base, AVRational{1, 1000000});
  }
  // Damaged or oddly muxed files can repeat or reorder timestamps; consumers rely on increase.
  if (clip.last_timestamp_us >= 0 && t <= clip.last_timestamp_us) t = clip.last_timestamp_us + step;
  clip.last_timestamp_us = t;
  return t;
}

torch::Tensor FfmpegSource::convert() {
  AVFrame& in = *decoded_;
  const Orientation& orientation = clip_->info.orientation;
  const OutputSize upright = orientation.upright_size(in.width, in.height);
  const OutputSize frame_size{info_.width, info_.height};
  const FitPlan plan = plan_fit(upright.width, upright.height, frame_size, options_.fit);
  const PixelRect from = orientation.stored_rect(plan.from, in.width, in.height);
  if (from != PixelRect{0, 0, in.width, in.height}) {
    in.crop_left = static_cast<std::size_t>(from.x);
    in.crop_top = static_cast<std::size_t>(from.y);
    in.crop_right = static_cast<std::size_t>(in.width - from.x - from.width);
    in.crop_bottom = static_cast<std::size_t>(in.height - from.y - from.height);
    // Unaligned, so that the crop is centred to the pixel: swscale reads unaligned rows, a little slower.
    if (av_frame_apply_cropping(&in, AV_FRAME_CROP_UNALIGNED) < 0 || in.width != from.width || in.height != from.height)
      return {};
  }
  // Scaled as stored, then turned: the turn moves the fewest pixels at the output size.
  const OutputSize stored = orientation.transpose ? OutputSize{plan.to.height, plan.to.width}
                                                  : OutputSize{plan.to.width, plan.to.height};
  const torch::Tensor scaled = scale(in, stored.width, stored.height);
  if (!scaled.defined()) return {};
  const torch::Tensor picture = turn_upright(scaled, orientation);
  if (plan.to == PixelRect{0, 0, frame_size.width, frame_size.height}) return picture;
  torch::Tensor image = black_frame(options_.channels, frame_size.height, frame_size.width);
  image.narrow(1, plan.to.y, plan.to.height).narrow(2, plan.to.x, plan.to.width).copy_(picture);
  return image;
}

torch::Tensor FfmpegSource::scale(const AVFrame& in, int width, int height) {
  const int channels = options_.channels;
  const auto format = static_cast<AVPixelFormat>(in.format);
  const bool same_size = in.width == width && in.height == height;
  const bool plain_luma = has_plain_luma_plane(av_pix_fmt_desc_get(format));
  torch::Tensor image = frame_buffer(channels, height, width);
  std::uint8_t* out = image.data_ptr<std::uint8_t>();
  const std::size_t plane_bytes = static_cast<std::size_t>(width) * height;

  // The fast paths: the decoder's planes are already what was asked for; copy their rows.
  if (same_size && channels == 1 && plain_luma) {
    av_image_copy_plane(out, width, in.data[0], in.linesize[0], width, height);
    return image;
  }
  if (same_size && channels == 3 && is_yuv444_8bit(format)) {
    for (int c = 0; c < 3; ++c) av_image_copy_plane(out + c * plane_bytes, width, in.data[c], in.linesize[c], width, height);
    return image;
  }

  // Luma alone is scaled as a grey image: no colour conversion touches its values. Anything else
  // goes to planar 4:4:4, keeping the source's range (a camera's full-range YUV stays as it is).
  const bool luma_only = channels == 1 && plain_luma;
  const AVPixelFormat src_format = luma_only ? AV_PIX_FMT_GRAY8 : format;
  const AVPixelFormat dst_format = luma_only ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_YUV444P;
  const SwsKey key{in.width, in.height, src_format, width, height, dst_format};
  if (!sws_ || !(key == sws_key_)) {
    sws_.reset(sws_getContext(in.width, in.height, src_format, width, height, dst_format, SWS_BILINEAR, nullptr, nullptr, nullptr));
    if (!sws_) return {};
    int src_range = 0, dst_range = 0, brightness = 0, contrast = 0, saturation = 0;
    int *src_table = nullptr, *dst_table = nullptr;
    if (sws_getColorspaceDetails(sws_.get(), &src_table, &src_range, &dst_table, &dst_range, &brightness, &contrast, &saturation) >= 0)
      sws_setColorspaceDetails(sws_.get(), src_table, src_range, dst_table, src_range, brightness, contrast, saturation);
    sws_key_ = key;
  }
  std::uint8_t* dst[4] = {out, nullptr, nullptr, nullptr};
  int dst_stride[4] = {width, 0, 0, 0};
  if (!luma_only) {
    if (channels == 1) {
      if (chroma_scratch_.numel() != static_cast<std::int64_t>(2 * plane_bytes))
        chroma_scratch_ = torch::empty({2, height, width}, torch::kUInt8);
      dst[1] = chroma_scratch_.data_ptr<std::uint8_t>();
    } else {
      dst[1] = out + plane_bytes;
    }
    dst[2] = dst[1] + plane_bytes;
    dst_stride[1] = dst_stride[2] = width;
  }
  sws_scale(sws_.get(), in.data, in.linesize, 0, in.height, dst, dst_stride);
  return image;
}

bool FfmpegSource::read(Frame& frame) {
  if (options_.max_frames >= 0 && delivered_ >= options_.max_frames) return false;
  for (;;) {
    if (!clip_ && !open_next_clip()) return false;
    if (!decode_next()) {
      finish_clip();
      continue;
    }
    torch::Tensor image = convert();
    if (!image.defined()) {
      clip_->read_error = std::string("cannot convert its pixel format ") +
                          av_get_pix_fmt_name(static_cast<AVPixelFormat>(decoded_->format));
      finish_clip();
      continue;
    }
    frame.index = delivered_++;
    frame.timestamp_us = timestamp_us();
    frame.source_id = 0;
    frame.clip_id = clip_id_;
    frame.clip_frame = clip_->delivered++;
    frame.image = std::move(image);
    frame.right = torch::Tensor();
    av_frame_unref(decoded_.get());
    // A camera delivers at its own pace; everything else is paced on request.
    if (options_.realtime && kind_ != Kind::v4l2) pacer_.wait(frame.timestamp_us);
    return true;
  }
}

}  // namespace vidssl
