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

// A fresh empty folder under the build tree's test scratch space.
std::string scratch_dir(const std::string& name);

// CPU, and CUDA where present: tests loop over these.
std::vector<torch::Device> test_devices();

}  // namespace vidssl::test
