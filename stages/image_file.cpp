#include "stages/image_file.h"

#include <filesystem>
#include <stdexcept>
#include <vector>

#include <opencv2/imgcodecs.hpp>

namespace vidssl {

void write_image(const std::string& path, const cv::Mat& picture, FileSync sync) {
  std::vector<unsigned char> bytes;
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension.empty() || !cv::imencode(extension, picture, bytes))
    throw std::runtime_error(path + ": cannot encode a picture as " + (extension.empty() ? "(no extension)" : extension));
  throw_if_unwritten(path, write_checked(path, reinterpret_cast<const char*>(bytes.data()), bytes.size(), sync));
}

}  // namespace vidssl
