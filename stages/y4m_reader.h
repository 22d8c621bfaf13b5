#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "stages/y4m_header.h"

namespace vidssl {

// Reads the raw planes of a YUV4MPEG2 stream, frame by frame. It exists apart from Y4mSource so
// the whole parser (header, frame headers, short frames) needs the standard library alone and
// can be fuzzed on its own; Y4mSource turns the planes into tensors.
//
// Memory grows with the bytes actually read, never with what a header claims: a 10-byte file
// declaring 16384×16384 costs kilobytes, not gigabytes.
//
//   std::ifstream file("clip.y4m", std::ios::binary);
//   Y4mReader reader(file);                        // throws std::invalid_argument on a bad header
//   while (reader.read_frame()) use(reader.planes());   // Y, then U, V (absent for mono)
//   if (!reader.damage().empty()) warn(reader.damage());
class Y4mReader {
 public:
  explicit Y4mReader(std::istream& in);

  const Y4mHeader& header() const { return header_; }
  // Reads the next frame; false at the end of the stream or at damage (see damage()).
  bool read_frame();
  // The last frame read: header().frame_bytes() bytes, planar, rows without padding.
  const std::vector<std::uint8_t>& planes() const { return planes_; }
  // Frames read of the current stream.
  std::int64_t frames_read() const { return frames_read_; }
  // Which stream the last frame belongs to: 0, then + 1 at every stream header found where a frame
  // header was due (streams written one after the other); header() is the current stream's.
  int stream() const { return stream_; }
  // Why reading stopped early ("frame 12: got 100 of 115200 bytes (file truncated?)"); empty
  // after a clean end.
  const std::string& damage() const { return damage_; }

 private:
  // Reads one '\n'-terminated line of at most `max_bytes`; false (with `line` holding what was
  // read) when the stream ends or the line is longer.
  bool read_line(std::string& line, std::size_t max_bytes);

  std::istream& in_;
  Y4mHeader header_;
  std::vector<std::uint8_t> planes_;
  std::int64_t frames_read_ = 0;
  int stream_ = 0;
  std::string damage_;
  bool done_ = false;
};

}  // namespace vidssl
