#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>

// The ffmpeg and ffprobe command-line tools as the independent reference of the FFmpeg tests: they
// make the test clips, and say what a clip holds and how FFmpeg's own player would show it.
namespace vidssl::test {

inline std::string command_output(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[256];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  pclose(pipe);
  return out;
}

// Runs `ffmpeg ARGUMENTS PATH`: a clip made in the test. Fails the test when ffmpeg cannot.
inline void make_clip(const std::string& path, const std::string& arguments) {
  const std::string command = "ffmpeg -nostdin -v error -y " + arguments + " '" + path + "' 2>&1";
  const std::string errors = command_output(command);
  std::error_code error;
  ASSERT_TRUE(std::filesystem::file_size(path, error) > 0 && !error) << command << "\n" << errors;
}

// Every frame's luma as ffmpeg shows it (the display matrix applied, as a player would), T×1×H×W
// uint8 at the clip's upright size: the Y plane of its 4:2:0 output, which no conversion touches.
inline torch::Tensor shown_luma(const std::string& path, int width, int height) {
  const std::string command = "ffmpeg -nostdin -v error -i '" + path + "' -pix_fmt yuv420p -f rawvideo - 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  const std::size_t luma = static_cast<std::size_t>(width) * height;
  std::vector<std::uint8_t> buffer(luma + 2 * static_cast<std::size_t>((width + 1) / 2) * ((height + 1) / 2));
  std::vector<torch::Tensor> frames;
  while (std::fread(buffer.data(), 1, buffer.size(), pipe) == buffer.size())
    frames.push_back(torch::from_blob(buffer.data(), {1, height, width}, torch::kUInt8).clone());
  pclose(pipe);
  return frames.empty() ? torch::Tensor() : torch::stack(frames);
}

// The presentation times (µs) of a clip's video frames, as ffprobe reads them.
inline std::vector<std::int64_t> frame_times_us(const std::string& path) {
  std::istringstream lines(command_output("ffprobe -v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time "
                                          "-of csv=p=0 '" + path + "' 2>/dev/null"));
  std::vector<std::int64_t> times;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) times.push_back(std::llround(std::stod(line) * 1e6));
  return times;
}

}  // namespace vidssl::test
