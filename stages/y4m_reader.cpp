#include "stages/y4m_reader.h"

#include <algorithm>
#include <stdexcept>

namespace vidssl {
namespace {

// Frame headers are "FRAME" plus rarely used parameters: anything longer is damage.
constexpr std::size_t kMaxFrameHeaderBytes = 1024;
// The first read step while filling a frame; each later step is as large as what arrived so far,
// so the buffer grows geometrically, and only as data arrives.
constexpr std::size_t kFirstReadStep = std::size_t{1} << 16;

}  // namespace

Y4mReader::Y4mReader(std::istream& in) : in_(in) {
  std::string line;
  if (!read_line(line, Y4mHeader::kMaxLineBytes)) {
    // Parse what there is first: a wrong magic explains more than a missing newline.
    parse_y4m_header(line);
    throw std::invalid_argument(line.size() >= Y4mHeader::kMaxLineBytes
                                    ? "bad Y4M header: header line longer than " +
                                          std::to_string(Y4mHeader::kMaxLineBytes) + " bytes"
                                    : "bad Y4M header: expected a header line ending in a newline");
  }
  header_ = parse_y4m_header(line);
}

bool Y4mReader::read_line(std::string& line, std::size_t max_bytes) {
  line.clear();
  for (;;) {
    const int c = in_.get();
    if (c == std::char_traits<char>::eof()) return false;
    if (c == '\n') return true;
    if (line.size() >= max_bytes) return false;
    line.push_back(static_cast<char>(c));
  }
}

bool Y4mReader::read_frame() {
  if (done_) return false;
  std::string where = "frame " + std::to_string(frames_read_) + ": ";
  std::string line;
  for (;;) {
    if (!read_line(line, std::max(kMaxFrameHeaderBytes, Y4mHeader::kMaxLineBytes))) {
      done_ = true;
      if (!line.empty()) damage_ = where + "expected a 'FRAME' header line, found a partial line (file truncated?)";
      return false;
    }
    try {
      // Another stream's header where a frame's is due: streams written one after the other
      // (`cat a.y4m b.y4m`, a producer that restarted on the same pipe). It is read on its own terms.
      if (line.rfind("YUV4MPEG2", 0) == 0) {
        header_ = parse_y4m_header(line);
        ++stream_;
        frames_read_ = 0;
        where = "stream " + std::to_string(stream_) + ", frame 0: ";
        continue;
      }
      check_y4m_frame_header(line);
      break;
    } catch (const std::invalid_argument& e) {
      done_ = true;
      damage_ = where + e.what();
      return false;
    }
  }

  const std::size_t want = header_.frame_bytes();
  std::size_t got = 0;
  while (got < want) {
    const std::size_t step = std::min(std::max(kFirstReadStep, got), want - got);
    if (planes_.size() < got + step) planes_.resize(got + step);
    in_.read(reinterpret_cast<char*>(planes_.data() + got), static_cast<std::streamsize>(step));
    got += static_cast<std::size_t>(in_.gcount());
    if (in_.gcount() < static_cast<std::streamsize>(step)) break;
  }
  if (got < want) {
    done_ = true;
    damage_ = where + "got " + std::to_string(got) + " of " + std::to_string(want) + " bytes (file truncated?)";
    return false;
  }
  planes_.resize(want);
  ++frames_read_;
  return true;
}

}  // namespace vidssl
