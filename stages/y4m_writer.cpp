#include "stages/y4m_writer.h"

#include <stdexcept>

#include <torch/torch.h>

namespace vidssl {

Y4mWriter::Y4mWriter(std::string path, Y4mWriterOptions options) : path_(std::move(path)), options_(options) {
  if (options_.fps_num <= 0 || options_.fps_den <= 0)
    throw std::invalid_argument(path_ + ": expected a positive frame rate, got " + std::to_string(options_.fps_num) +
                                ":" + std::to_string(options_.fps_den));
  file_.open(path_, std::ios::binary | std::ios::trunc);
  if (!file_) throw std::runtime_error(path_ + ": cannot create the Y4M file");
}

Y4mWriter::~Y4mWriter() {
  if (file_.is_open()) file_.close();  // errors are only reported by an explicit close()
}

void Y4mWriter::write(const torch::Tensor& image) {
  if (!file_.is_open()) throw std::logic_error(path_ + ": write after close");
  if (image.dim() != 3 || image.scalar_type() != torch::kUInt8 || (image.size(0) != 1 && image.size(0) != 3))
    throw std::invalid_argument(path_ + ": expected a uint8 C×H×W frame with C = 1 or 3, got " +
                                std::string(image.scalar_type() == torch::kUInt8 ? "uint8 " : "non-uint8 ") +
                                std::to_string(image.dim()) + "-d " + c10::str(image.sizes()));
  const auto channels = image.size(0), height = image.size(1), width = image.size(2);
  if (frames_written_ == 0) {
    if (height < 1 || width < 1 || height > Y4mHeader::kMaxSide || width > Y4mHeader::kMaxSide)
      throw std::invalid_argument(path_ + ": frame size " + c10::str(image.sizes()) + " outside what Y4M files hold here");
    header_.width = static_cast<int>(width);
    header_.height = static_cast<int>(height);
    header_.fps_num = options_.fps_num;
    header_.fps_den = options_.fps_den;
    header_.color_space = channels == 1 ? Y4mColorSpace::mono : Y4mColorSpace::yuv444;
    file_ << format_y4m_header(header_);
  } else if (width != header_.width || height != header_.height ||
             (channels == 1) != (header_.color_space == Y4mColorSpace::mono)) {
    throw std::invalid_argument(path_ + ": frame " + std::to_string(frames_written_) + " is " +
                                c10::str(image.sizes()) + ", the stream's frames are " +
                                std::to_string(header_.color_space == Y4mColorSpace::mono ? 1 : 3) + "x" +
                                std::to_string(header_.height) + "x" + std::to_string(header_.width));
  }
  const torch::Tensor data = image.to(torch::kCPU).contiguous();
  file_ << "FRAME\n";
  file_.write(reinterpret_cast<const char*>(data.data_ptr<std::uint8_t>()), static_cast<std::streamsize>(data.numel()));
  if (!file_) throw std::runtime_error(path_ + ": write failed after " + std::to_string(frames_written_) + " frames");
  ++frames_written_;
}

void Y4mWriter::close() {
  if (!file_.is_open()) return;
  file_.close();
  if (!file_) throw std::runtime_error(path_ + ": closing the Y4M file failed (disk full?)");
}

}  // namespace vidssl
