#include "stages/y4m_source.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include <torch/torch.h>

#include "stages/fit_image.h"
#include "stages/live_input.h"

namespace vidssl {
namespace {

torch::Tensor plane(const std::uint8_t* data, int height, int width) {
  // from_blob does not copy: callers clone or copy out before the reader's buffer changes.
  return torch::from_blob(const_cast<std::uint8_t*>(data), {height, width}, torch::kUInt8);
}

// 4:2:0 chroma to full resolution by pixel replication (each sample covers a 2×2 block).
torch::Tensor upsample_chroma(const torch::Tensor& chroma, int height, int width) {
  const auto ch = chroma.size(0), cw = chroma.size(1);
  return chroma.unsqueeze(1).unsqueeze(3).expand({ch, 2, cw, 2}).reshape({2 * ch, 2 * cw}).slice(0, 0, height).slice(1, 0, width);
}

}  // namespace

Y4mSource::Y4mSource(SourceOptions options, Clock* clock) : options_(std::move(options)), pacer_(clock) {
  check_source_options(options_);
  live_ = options_.reopen_live && is_live_input(options_.path);
  open_stream();
  const Y4mHeader& header = reader_->header();
  const OutputSize size = output_size(options_, header.width, header.height);
  info_.description = "Y4M " + options_.path + " (" + std::to_string(header.width) + "x" +
                      std::to_string(header.height) + " C" + header.color_tag + ")";
  info_.width = size.width;
  info_.height = size.height;
  info_.channels = options_.channels;
  info_.fps = header.fps();
  info_.frame_count = -1;  // Y4M declares no length
  info_.live = live_;
}

void Y4mSource::open_stream() {
  file_.close();
  file_.clear();
  file_.open(options_.path, std::ios::binary);  // a FIFO: waits for a writer
  if (!file_) throw SourceError(options_.path + ": cannot open: " + std::strerror(errno) + " (expected a readable .y4m file)");
  try {
    reader_ = std::make_unique<Y4mReader>(file_);
  } catch (const std::invalid_argument& e) {
    throw SourceError(options_.path + ": " + e.what());
  }
}

void Y4mSource::reopen() {
  file_.close();  // first: a writer that sees the source waiting must find the old pipe closed
  // Gone (removed), or a writer that sent no valid header: tried again, less often each time.
  reopen_with_backoff(options_.path, clip_ + 1, [this] { open_stream(); });
  ++clip_;
  stream_ = 0;
  damage_reported_ = false;
}

bool Y4mSource::read(Frame& frame) {
  if (options_.max_frames >= 0 && delivered_ >= options_.max_frames) return false;
  while (!reader_->read_frame()) {
    if (!reader_->damage().empty() && !damage_reported_) {
      damage_reported_ = true;
      warn(options_.path + ": stream ended after " + std::to_string(reader_->frames_read()) + " frames: " +
           reader_->damage());
    }
    if (!live_) return false;
    warn(options_.path + ": the writer closed the stream after " + std::to_string(reader_->frames_read()) +
         " frames; waiting for the next one (a live input is reopened)");
    reopen();
  }
  if (reader_->stream() != stream_) {  // another stream followed on the same input: a new clip
    stream_ = reader_->stream();
    ++clip_;
  }
  const Y4mHeader& header = reader_->header();
  const std::int64_t k = reader_->frames_read() - 1;
  frame.index = delivered_++;
  frame.clip_id = clip_;
  frame.clip_frame = k;
  frame.source_id = 0;
  // In double: a header's 9-digit rate terms would overflow an integer product.
  frame.timestamp_us = std::llround(static_cast<double>(k) * 1e6 * header.fps_den / header.fps_num);
  frame.image = to_image();
  frame.right = torch::Tensor();
  if (options_.realtime) pacer_.wait(frame.timestamp_us);
  return true;
}

torch::Tensor Y4mSource::to_image() {
  const Y4mHeader& h = reader_->header();
  const std::uint8_t* data = reader_->planes().data();
  torch::Tensor image;
  bool aliases_reader = true;
  if (options_.channels == 1 || h.color_space == Y4mColorSpace::mono) {
    image = plane(data, h.height, h.width).unsqueeze(0);
  } else if (h.color_space == Y4mColorSpace::yuv444) {
    image = torch::from_blob(const_cast<std::uint8_t*>(data), {3, h.height, h.width}, torch::kUInt8);
  } else {
    aliases_reader = false;
    const std::uint8_t* u = data + h.luma_bytes();
    const std::uint8_t* v = u + h.chroma_plane_bytes();
    image = torch::stack({plane(data, h.height, h.width),
                          upsample_chroma(plane(u, h.chroma_height(), h.chroma_width()), h.height, h.width),
                          upsample_chroma(plane(v, h.chroma_height(), h.chroma_width()), h.height, h.width)});
  }
  if (options_.channels == 3 && h.color_space == Y4mColorSpace::mono) {
    // Grey has neutral chroma.
    image = torch::cat({image, torch::full({2, h.height, h.width}, 128, torch::kUInt8)});
    aliases_reader = false;
  }
  if (info_.width != h.width || info_.height != h.height)
    return fit_image(image, options_.fit, {info_.width, info_.height});
  return aliases_reader ? frame_buffer(image.size(0), image.size(1), image.size(2)).copy_(image) : image;
}

}  // namespace vidssl
