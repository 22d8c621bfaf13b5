#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "models/training/checked_write.h"

namespace vidssl {

// Writes a picture (PNG, JPEG: by the path's extension) with every write checked, where cv::imwrite
// may leave a truncated file and still report success. Throws std::runtime_error
// "<path>: cannot write (<reason>)".
void write_image(const std::string& path, const cv::Mat& picture, FileSync sync = FileSync::no);

}  // namespace vidssl
