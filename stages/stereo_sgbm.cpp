#include "stages/stereo_sgbm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>
#include <torch/torch.h>

namespace vidssl {
namespace {

// H×W or 1×H×W uint8 on the CPU, as a contiguous H×W tensor.
torch::Tensor as_grey(const torch::Tensor& image, const char* side) {
  const std::string what = std::string("StereoSgbm: the ") + side + " image";
  if (!image.defined()) throw std::invalid_argument(what + " is undefined");
  if (!(image.dim() == 2 || (image.dim() == 3 && image.size(0) == 1)))
    throw std::invalid_argument(what + " must be HxW or 1xHxW, got " + c10::str(image.sizes()));
  if (image.scalar_type() != torch::kUInt8 || !image.device().is_cpu())
    throw std::invalid_argument(what + " must be a uint8 CPU tensor, got " +
                                std::string(c10::toString(image.scalar_type())) + " on " + image.device().str());
  return image.reshape({image.size(-2), image.size(-1)}).contiguous();
}

cv::Mat as_mat(const torch::Tensor& plane) {
  return cv::Mat(static_cast<int>(plane.size(0)), static_cast<int>(plane.size(1)), CV_8UC1, plane.data_ptr());
}

}  // namespace

StereoSgbm::StereoSgbm(StereoSgbmOptions options) : options_(options) {
  const auto fail = [](const std::string& option, const std::string& expected, double got) {
    throw std::invalid_argument("StereoSgbm: " + option + " must be " + expected + ", got " + std::to_string(got));
  };
  if (options_.max_disparity < 16 || options_.max_disparity % 16 != 0)
    fail("max_disparity", "a positive multiple of 16", options_.max_disparity);
  if (options_.block_size < 1 || options_.block_size % 2 == 0) fail("block_size", "odd and positive", options_.block_size);
  if (options_.p1 < 0) fail("p1", "≥ 0", options_.p1);
  if (options_.p2 < 0) fail("p2", "≥ 0", options_.p2);
  if (options_.p1 > 0 && options_.p2 > 0 && options_.p2 <= options_.p1)
    fail("p2", "above p1 (" + std::to_string(options_.p1) + ")", options_.p2);
  if (options_.lr_tolerance == 0) fail("lr_tolerance", "≥ 1 (OpenCV turns its check off at 0) or negative", 0);
  if (!(options_.uniqueness >= 0 && options_.uniqueness < 1)) fail("uniqueness", "in [0, 1)", options_.uniqueness);
  if (options_.pre_filter_cap < 1 || options_.pre_filter_cap > 63)
    fail("pre_filter_cap", "in 1 … 63", options_.pre_filter_cap);
}

torch::Tensor StereoSgbm::operator()(const torch::Tensor& left, const torch::Tensor& right) const {
  const torch::Tensor l = as_grey(left, "left"), r = as_grey(right, "right");
  if (l.sizes() != r.sizes())
    throw std::invalid_argument("StereoSgbm: the left and right images differ in size: " + c10::str(l.sizes()) +
                                " and " + c10::str(r.sizes()));
  const int block = options_.block_size;
  // OpenCV's recommendation for one channel (its stereo_match sample).
  const int p1 = options_.p1 > 0 ? options_.p1 : 8 * block * block;
  const int p2 = options_.p2 > 0 ? options_.p2 : std::max(32 * block * block, p1 + 1);
  const cv::Ptr<cv::StereoSGBM> sgbm = cv::StereoSGBM::create(
      /*minDisparity=*/0, options_.max_disparity, block, p1, p2,
      /*disp12MaxDiff=*/options_.lr_tolerance, options_.pre_filter_cap,
      /*uniquenessRatio=*/static_cast<int>(std::lround(100 * options_.uniqueness)),
      /*speckleWindowSize=*/0, /*speckleRange=*/0, cv::StereoSGBM::MODE_SGBM);
  cv::Mat fixed_point;  // CV_16S, 1/16 px; (minDisparity − 1)·16 = −16 where invalid
  sgbm->compute(as_mat(l), as_mat(r), fixed_point);
  torch::Tensor disparity = torch::empty({l.size(0), l.size(1)}, torch::kFloat32);
  cv::Mat out(fixed_point.rows, fixed_point.cols, CV_32FC1, disparity.data_ptr<float>());
  fixed_point.convertTo(out, CV_32F, 1.0 / 16);
  // The columns OpenCV leaves without the full range may hold values; StereoMatcher's rule applies.
  disparity.narrow(1, 0, std::min<std::int64_t>(options_.max_disparity - 1, l.size(1))).fill_(-1.f);
  return disparity.masked_fill_(disparity.lt(0), -1.f);
}

}  // namespace vidssl
