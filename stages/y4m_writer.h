#pragma once

#include <fstream>
#include <string>

#include <torch/types.h>

#include "stages/y4m_header.h"

namespace vidssl {

struct Y4mWriterOptions {
  int fps_num = 25;
  int fps_den = 1;
};

// Writes uint8 C×H×W frames as YUV4MPEG2: mono for C = 1, 4:4:4 for C = 3 (the planes as given,
// no conversion). It exists so tests and tools can make Y4M clips for Y4mSource without FFmpeg,
// and so a decoded stream can be saved losslessly. The first frame fixes size and colour space.
//
//   Y4mWriter writer("out.y4m", {.fps_num = 30});
//   writer.write(frame.image);   // throws std::invalid_argument on a shape or dtype change
//   writer.close();              // or let the destructor close it
class Y4mWriter {
 public:
  explicit Y4mWriter(std::string path, Y4mWriterOptions options = {});
  ~Y4mWriter();
  Y4mWriter(const Y4mWriter&) = delete;
  Y4mWriter& operator=(const Y4mWriter&) = delete;

  void write(const torch::Tensor& image);
  // Flushes and closes; throws std::runtime_error when the data did not reach the file.
  void close();
  std::int64_t frames_written() const { return frames_written_; }

 private:
  std::string path_;
  Y4mWriterOptions options_;
  std::ofstream file_;
  Y4mHeader header_;
  std::int64_t frames_written_ = 0;
};

}  // namespace vidssl
