#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vidssl {

// The stream header of a YUV4MPEG2 file, the portable raw format vidssl uses on machines
// without FFmpeg. Standard library only (no LibTorch), so the parser can be built alone into a
// fuzz target.
//
// Example: "YUV4MPEG2 W320 H240 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG\n"
enum class Y4mColorSpace { mono, yuv420, yuv444 };

struct Y4mHeader {
  // Larger sides are refused: a corrupt or hostile header must not make the reader allocate
  // gigabytes.
  static constexpr int kMaxSide = 16384;
  // A header line is short; a longer one is garbage, not a header.
  static constexpr std::size_t kMaxLineBytes = 4096;

  int width = 0;
  int height = 0;
  int fps_num = 25;  // FFmpeg's default when F is absent or 0:0
  int fps_den = 1;
  Y4mColorSpace color_space = Y4mColorSpace::yuv420;  // the format's default when C is absent
  std::string color_tag = "420jpeg";  // as written in the file (420jpeg, 420paldv, ...)

  int chroma_width() const;
  int chroma_height() const;
  std::size_t luma_bytes() const;
  std::size_t chroma_plane_bytes() const;  // 0 for mono
  std::size_t frame_bytes() const;
  double fps() const { return static_cast<double>(fps_num) / fps_den; }
};

// Parses the header line without its trailing '\n'. Throws std::invalid_argument with a message
// saying what was expected, e.g. "bad Y4M header: expected W<width> (missing W)".
Y4mHeader parse_y4m_header(std::string_view line);

// Checks a frame header line ("FRAME" and optional parameters, without '\n'); throws
// std::invalid_argument when it is not one.
void check_y4m_frame_header(std::string_view line);

// The header line, with its '\n', for mono or 4:4:4 output (what Y4mWriter writes).
std::string format_y4m_header(const Y4mHeader& header);

}  // namespace vidssl
