#include "stages/y4m_header.h"

#include <algorithm>
#include <stdexcept>

namespace vidssl {
namespace {

constexpr std::string_view kMagic = "YUV4MPEG2";
constexpr std::string_view kFrameMagic = "FRAME";

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("bad Y4M header: " + what); }

std::string quoted(std::string_view token) {
  constexpr std::size_t kShown = 32;
  std::string out = "'";
  for (char c : token.substr(0, kShown)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (token.size() > kShown) out += "...";
  return out + "'";
}

// Digits only, no sign, at most 9 of them: enough for any real value, never overflows an int.
bool parse_count(std::string_view text, int& value) {
  if (text.empty() || text.size() > 9) return false;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  value = v;
  return true;
}

bool parse_ratio(std::string_view text, int& num, int& den) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  return parse_count(text.substr(0, colon), num) && parse_count(text.substr(colon + 1), den);
}

void parse_side(char tag, std::string_view value, const char* name, int& side) {
  if (!parse_count(value, side) || side < 1 || side > Y4mHeader::kMaxSide)
    fail(std::string("expected ") + tag + "<" + name + "> with 1 <= " + name + " <= " +
         std::to_string(Y4mHeader::kMaxSide) + ", got " + quoted(value));
}

void parse_color_space(std::string_view value, Y4mHeader& header) {
  if (value == "mono") {
    header.color_space = Y4mColorSpace::mono;
  } else if (value == "420jpeg" || value == "420paldv" || value == "420mpeg2" || value == "420") {
    header.color_space = Y4mColorSpace::yuv420;
  } else if (value == "444") {
    header.color_space = Y4mColorSpace::yuv444;
  } else {
    fail("unsupported colour space C" + quoted(value) + " (expected mono, 420jpeg, 420paldv, 420mpeg2, 420 or 444)");
  }
  header.color_tag = std::string(value);
}

}  // namespace

int Y4mHeader::chroma_width() const { return color_space == Y4mColorSpace::yuv420 ? (width + 1) / 2 : width; }
int Y4mHeader::chroma_height() const { return color_space == Y4mColorSpace::yuv420 ? (height + 1) / 2 : height; }
std::size_t Y4mHeader::luma_bytes() const { return static_cast<std::size_t>(width) * static_cast<std::size_t>(height); }
std::size_t Y4mHeader::chroma_plane_bytes() const {
  if (color_space == Y4mColorSpace::mono) return 0;
  return static_cast<std::size_t>(chroma_width()) * static_cast<std::size_t>(chroma_height());
}
std::size_t Y4mHeader::frame_bytes() const { return luma_bytes() + 2 * chroma_plane_bytes(); }

Y4mHeader parse_y4m_header(std::string_view line) {
  if (line.substr(0, kMagic.size()) != kMagic || (line.size() > kMagic.size() && line[kMagic.size()] != ' '))
    fail("expected 'YUV4MPEG2' at the start of the file, found " + quoted(line.substr(0, kMagic.size() + 1)));
  if (line.size() > Y4mHeader::kMaxLineBytes)
    fail("header line longer than " + std::to_string(Y4mHeader::kMaxLineBytes) + " bytes");

  Y4mHeader header;
  bool seen[128] = {};
  std::size_t pos = kMagic.size();
  while (pos < line.size()) {
    if (line[pos] == ' ') {
      ++pos;
      continue;
    }
    const std::size_t end = std::min(line.find(' ', pos), line.size());
    const std::string_view token = line.substr(pos, end - pos);
    pos = end;
    const char tag = token[0];
    const std::string_view value = token.substr(1);
    if (tag == 'X') continue;  // extensions (e.g. XYSCSS=420JPEG) carry nothing we need
    if (tag != 'W' && tag != 'H' && tag != 'F' && tag != 'I' && tag != 'A' && tag != 'C')
      fail("unknown field " + quoted(token) + " (expected W, H, F, I, A, C or X)");
    if (seen[static_cast<unsigned char>(tag)]) fail(std::string("field ") + tag + " given twice");
    seen[static_cast<unsigned char>(tag)] = true;
    switch (tag) {
      case 'W':
        parse_side('W', value, "width", header.width);
        break;
      case 'H':
        parse_side('H', value, "height", header.height);
        break;
      case 'F': {
        int num = 0, den = 0;
        if (!parse_ratio(value, num, den) || (num == 0) != (den == 0))
          fail("expected F<num>:<den> frame rate with both positive (or 0:0 for unknown), got " + quoted(value));
        if (num > 0) {
          header.fps_num = num;
          header.fps_den = den;
        }
        break;
      }
      case 'I':
        if (value.size() != 1 || std::string_view("ptbm?").find(value[0]) == std::string_view::npos)
          fail("expected I followed by one of p, t, b, m, ?, got " + quoted(value));
        break;
      case 'A': {
        int num = 0, den = 0;
        if (!parse_ratio(value, num, den)) fail("expected A<num>:<den> pixel aspect, got " + quoted(value));
        break;
      }
      case 'C':
        parse_color_space(value, header);
        break;
    }
  }
  if (!seen[static_cast<unsigned char>('W')]) fail("expected W<width> (missing W)");
  if (!seen[static_cast<unsigned char>('H')]) fail("expected H<height> (missing H)");
  return header;
}

void check_y4m_frame_header(std::string_view line) {
  if (line.substr(0, kFrameMagic.size()) != kFrameMagic ||
      (line.size() > kFrameMagic.size() && line[kFrameMagic.size()] != ' '))
    throw std::invalid_argument("expected a 'FRAME' header, found " + quoted(line));
}

std::string format_y4m_header(const Y4mHeader& header) {
  if (header.color_space == Y4mColorSpace::yuv420)
    throw std::invalid_argument("format_y4m_header: only mono and 444 are written");
  return std::string(kMagic) + " W" + std::to_string(header.width) + " H" + std::to_string(header.height) + " F" +
         std::to_string(header.fps_num) + ":" + std::to_string(header.fps_den) + " Ip A1:1 C" +
         (header.color_space == Y4mColorSpace::mono ? "mono" : "444") + "\n";
}

}  // namespace vidssl
