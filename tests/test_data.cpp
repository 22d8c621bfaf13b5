#include "tests/test_data.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include <torch/torch.h>

#include "models/ops/contrast_normalizer.h"
#include "models/torch_runtime.h"

namespace fs = std::filesystem;

namespace vidssl::test {
namespace {

const fs::path kOpencvData = "/usr/share/doc/opencv-doc/examples/data";
const fs::path kOpencvHtml = "/usr/share/doc/opencv-doc/opencv4/html";

fs::path scratch_root() {
  fs::path root = fs::temp_directory_path() / ("vidssl-tests-" + std::to_string(getuid()));
  fs::create_directories(root);
  return root;
}

}  // namespace

std::string opencv_clip(const std::string& name) {
  if (fs::exists(kOpencvData / name)) return (kOpencvData / name).string();
  const fs::path gz = kOpencvHtml / (name + ".gz");
  if (!fs::exists(gz)) return {};
  const fs::path out = scratch_root() / name;
  if (!fs::exists(out)) {
    // Unpacked under a unique name and renamed, so parallel test processes never see half a file.
    const fs::path tmp = out.string() + ".tmp" + std::to_string(getpid());
    const std::string cmd = "gzip -dc '" + gz.string() + "' > '" + tmp.string() + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot gunzip " + gz.string());
    fs::rename(tmp, out);
  }
  return out.string();
}

std::string kitti_dir() {
  if (const char* env = std::getenv("VIDSSL_KITTI_DIR")) return env;
  const fs::path dir = fs::path(VIDSSL_SOURCE_DIR) / ".." / "shared" / "data" / "kitti-rural-stereo";
  return fs::exists(dir / "calib.txt") ? fs::canonical(dir).string() : std::string();
}

torch::Tensor decode_luma(const std::string& path, int width, int height, int max_frames) {
  if (path.empty() || std::system("ffmpeg -version > /dev/null 2>&1") != 0) return {};
  const std::string cmd = "ffmpeg -nostdin -v quiet -i '" + path + "' -fps_mode passthrough -vf scale=" + std::to_string(width) + ":" +
                          std::to_string(height) + " -frames:v " + std::to_string(max_frames) +
                          " -pix_fmt gray -f rawvideo - 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {};
  std::vector<torch::Tensor> frames;
  std::vector<std::uint8_t> buffer(static_cast<std::size_t>(width) * height);
  while (std::fread(buffer.data(), 1, buffer.size(), pipe) == buffer.size())
    frames.push_back(torch::from_blob(buffer.data(), {1, height, width}, torch::kUInt8).clone());
  pclose(pipe);
  if (frames.empty()) return {};
  return torch::stack(frames);
}

torch::Tensor normalized_frames(const std::string& path, int width, int height, int max_frames) {
  const torch::Tensor raw = decode_luma(path, width, height, max_frames);
  if (!raw.defined()) return {};
  return ContrastNormalizer()(raw.to(torch::kFloat) / 255);
}

torch::Tensor normalized_clip(const std::string& name, int width, int height, int max_frames) {
  return normalized_frames(opencv_clip(name), width, height, max_frames);
}

std::string scratch_dir(const std::string& name) {
  std::random_device rd;
  const fs::path dir = scratch_root() / (name + "-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::vector<torch::Device> test_devices() { return available_devices(); }

}  // namespace vidssl::test
