#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

namespace vidssl::test {

// A clip shipped by Debian's opencv-doc (vtest.avi, tree.avi; box.mp4 and cup.mp4 are gunzipped
// once into the build tree). Empty when opencv-doc is not installed.
std::string opencv_clip(const std::string& name);

// ../shared/data/kitti-rural-stereo beside the checkout (or $VIDSSL_KITTI_DIR); empty if absent.
std::string kitti_dir();

// Frames of a clip as T×1×H×W uint8 luma at width×height, decoded by the ffmpeg command-line tool
// (so model tests need no FFmpeg library), each decoded frame once (a variable-rate clip such as
// tree.avi is not filled up to a constant rate). Empty when ffmpeg or the clip is missing.
torch::Tensor decode_luma(const std::string& path, int width, int height, int max_frames);

// What the learning tests train on: the frames of a video file decoded by decode_luma and
// contrast-normalized, T×1×H×W float. Undefined when the file or ffmpeg is missing.
torch::Tensor normalized_frames(const std::string& path, int width, int height, int max_frames);
// The same of an opencv-doc clip (opencv_clip).
torch::Tensor normalized_clip(const std::string& name, int width, int height, int max_frames);

// A fresh empty folder under the build tree's test scratch space.
std::string scratch_dir(const std::string& name);

// CPU, and CUDA where present: tests loop over these.
std::vector<torch::Device> test_devices();

}  // namespace vidssl::test
