#include "models/neartofar/near_to_far.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "models/training/checkpoint.h"
#include "models/training/host_read.h"
#include "tests/models/distributed/loopback_ranks.h"
#include "tests/models/host_sync_counter.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

namespace fs = std::filesystem;

const StereoCamera kKitti{.fx = 718.856, .fy = 718.856, .cx = 607.1928, .cy = 185.2157, .baseline = 0.537, .width = 1241, .height = 376};

// Frame i of the KITTI excerpt as 3×376×1241 uint8 YUV (grey PNGs: neutral chroma), left and right.
std::pair<torch::Tensor, torch::Tensor> kitti_pair(int i) {
  char name[16];
  std::snprintf(name, sizeof(name), "%06d.png", i);
  const fs::path dir = test::kitti_dir();
  std::pair<torch::Tensor, torch::Tensor> out;
  for (auto [side, tensor] : {std::make_pair("left", &out.first), std::make_pair("right", &out.second)}) {
    const torch::Tensor y = test::decode_luma((dir / side / name).string(), 1241, 376, 1);
    if (!y.defined()) return {};
    *tensor = torch::cat({y[0], torch::full({2, 376, 1241}, 128, torch::kUInt8)});
  }
  return out;
}

#define SKIP_WITHOUT_KITTI()                                       \
  if (test::kitti_dir().empty() || !kitti_pair(0).first.defined()) \
  GTEST_SKIP() << "../shared/data/kitti-rural-stereo (or ffmpeg to read its PNGs) is absent"

NearToFarOptions kitti_options() {
  NearToFarOptions o;
  o.bands.bands = 12;
  o.bands.near_distance = 6.5;
  o.bands.far_distance = 100;
  return o;
}

// DESIGN §8.2 on real frames: the plane fitted to our stereo puts the camera 1.65 m above the road.
TEST(NearToFarKitti, FittedCameraHeightIsWithin15cmOf165OnNineFramesInTen) {
  SKIP_WITHOUT_KITTI();
  NearToFarOptions options = kitti_options();
  options.steps_per_frame = 0;
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    NearToFar model(options, device);
    int good = 0, frames = 0;
    for (int i = 0; i < 51; i += 2) {
      const auto [left, right] = kitti_pair(i);
      const NearToFarResult r = model.step(left, right, kKitti);
      ++frames;
      const double h = r.plane_fit.plane.camera_height();
      if (r.plane_ok && std::abs(h - 1.65) <= 0.15) ++good;
      RecordProperty("frame_" + std::to_string(i), std::to_string(h));
    }
    EXPECT_GE(good, 0.9 * frames) << good << " of " << frames << " frames";
  }
}

// One frame end to end: labels where stereo is dense, a prediction for every window of every band,
// and the per-stage timings, on every device present.
TEST(NearToFarKitti, AFrameGivesLabelsPredictionsAndTimings) {
  SKIP_WITHOUT_KITTI();
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    NearToFar model(kitti_options(), device);
    const auto [left, right] = kitti_pair(10);
    const NearToFarResult r = model.step(left, right, kKitti);
    EXPECT_TRUE(r.plane_ok) << r.plane_fit.reason;
    EXPECT_TRUE(r.skipped.empty()) << r.skipped;
    EXPECT_GT(r.labeled_windows, 50);
    EXPECT_EQ(r.steps, model.options().steps_per_frame);
    EXPECT_TRUE(std::isfinite(r.loss));
    ASSERT_GE(r.bands.size(), 8u);
    std::int64_t far_labeled = 0, ground = 0, obstacle = 0;
    for (const auto& band : r.bands) {
      EXPECT_GT(band.windows.size(), 10u) << band.distance;
      for (const auto& w : band.windows) {
        double sum = 0;
        for (float p : w.probabilities) sum += p;
        EXPECT_NEAR(sum, 1.0, 1e-4);
        if (w.label != kUnlabeled && band.distance > 15) ++far_labeled;
        ground += w.label == 0 || w.label == 3;
        obstacle += w.label == 2 || w.label == 4;
      }
    }
    EXPECT_GT(far_labeled, 0) << "stereo labels nothing beyond 15 m";
    EXPECT_GT(ground, 0);
    EXPECT_GT(obstacle, 0) << "the verges' trees and the cars should be obstacles";
    for (const char* stage : {"stereo", "plane", "labels", "bands", "train", "predict", "total"}) {
      bool found = false;
      for (const auto& [k, v] : r.ms) found |= k == stage && v >= 0;
      EXPECT_TRUE(found) << stage;
    }
  }
}

// Issue 13: a frame reads from the device twice, however many bands and windows it has: the
// disparity with the 3-D points (for the plane fit and the labels, host work), then every band's
// probabilities with the frame's losses (for its record). Before, about 60 reads: per band counts,
// labels and probabilities, and each loss before its update. On a GPU nothing else waits for the
// device (on the CPU the host work's own ops look the same, so only the reads are counted there).
TEST(NearToFarKitti, AFrameReadsTwiceFromTheDeviceAndNothingElseWaits) {
  SKIP_WITHOUT_KITTI();
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    NearToFar model(kitti_options(), device);
    for (int i = 0; i < 3; ++i) {
      const auto [left, right] = kitti_pair(i);
      const std::int64_t reads = host_reads_on_this_thread();
      HostSyncCounter syncs(HostSyncCounter::Count::device_inputs_only);
      const NearToFarResult r = model.step(left, right, kKitti);
      EXPECT_TRUE(r.skipped.empty()) << r.skipped;
      EXPECT_EQ(r.steps, model.options().steps_per_frame) << "frame " << i;
      EXPECT_EQ(host_reads_on_this_thread() - reads, 2) << "frame " << i;
      EXPECT_EQ(syncs.total(), 0) << syncs.report();
    }
  }
}

// A resumed run goes on as the stopped one would have: after a checkpoint of two frames, the same
// third frame gives the same loss and the same predictions from the saved model and the loaded one
// (weights, optimizer moments, window buffer and its generator all restored).
TEST(NearToFarKitti, ACheckpointResumesTheSameLearning) {
  SKIP_WITHOUT_KITTI();
  NearToFar model(kitti_options(), torch::kCPU);
  for (int i = 0; i < 2; ++i) {
    const auto [left, right] = kitti_pair(i);
    model.step(left, right, kKitti);
  }
  CheckpointData data;
  model.save(data);
  NearToFarOptions other = kitti_options();
  other.seed = 77;
  other.buffer.seed = 77;
  NearToFar resumed(other, torch::kCPU);
  resumed.load(data);
  EXPECT_EQ(resumed.updates(), model.updates());
  EXPECT_EQ(resumed.buffer().size(), model.buffer().size());
  EXPECT_GT(resumed.buffer().size(), 100);
  const auto [left, right] = kitti_pair(2);
  const NearToFarResult a = model.step(left, right, kKitti), b = resumed.step(left, right, kKitti);
  ASSERT_GT(a.steps, 0);
  EXPECT_DOUBLE_EQ(a.loss, b.loss);
  ASSERT_EQ(a.bands.size(), b.bands.size());
  for (std::size_t i = 0; i < a.bands.size(); ++i)
    for (std::size_t j = 0; j < a.bands[i].windows.size(); ++j)
      ASSERT_EQ(a.bands[i].windows[j].probabilities, b.bands[i].windows[j].probabilities) << i << " " << j;
}

// Issue 15: two ranks that see different frames train one classifier: the same weights on both,
// bit for bit, and the same (mean) losses.
TEST(NearToFarKitti, TwoRanksOnDifferentFramesEndWithTheSameClassifier) {
  SKIP_WITHOUT_KITTI();
  if (!in_build(DistBackend::gloo)) GTEST_SKIP() << "Gloo is not in this build";
  std::vector<std::unique_ptr<NearToFar>> models;
  for (int r = 0; r < 2; ++r) {
    NearToFarOptions o = kitti_options();
    o.seed = 5 + static_cast<std::uint64_t>(r);  // unlike initial weights: join makes them rank 0's
    models.push_back(std::make_unique<NearToFar>(o, torch::kCPU));
  }
  std::vector<std::vector<double>> losses(2);
  test::run_ranks(2, [&](int rank, Rendezvous& rendezvous) {
    NearToFar& model = *models[static_cast<std::size_t>(rank)];
    model.join(std::make_shared<DataParallel>(rendezvous.group("neartofar"), DataParallelOptions{}, "neartofar"));
    for (int i = rank; i < 6; i += 2) {
      const auto [left, right] = kitti_pair(i);
      const NearToFarResult r = model.step(left, right, kKitti);
      losses[static_cast<std::size_t>(rank)].insert(losses[static_cast<std::size_t>(rank)].end(), r.losses.begin(), r.losses.end());
    }
  });
  EXPECT_EQ(models[0]->updates(), models[1]->updates());
  EXPECT_GT(models[0]->updates(), 0);
  EXPECT_EQ(losses[0], losses[1]);
  CheckpointData a, b;
  models[0]->save(a);
  models[1]->save(b);
  for (const auto& [key, weight] : a.weights) EXPECT_TRUE(torch::equal(weight, b.weights.at(key))) << key;
}

// The bad input: no positive baseline skips training for that frame, says why, and still predicts.
TEST(NearToFarKitti, ABadCalibrationSkipsTrainingAndSaysWhy) {
  SKIP_WITHOUT_KITTI();
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    NearToFar model(kitti_options(), device);
    const auto [left, right] = kitti_pair(0);
    StereoCamera bad = kKitti;
    bad.baseline = 0;
    const NearToFarResult r = model.step(left, right, bad);
    EXPECT_NE(r.skipped.find("baseline"), std::string::npos) << r.skipped;
    EXPECT_EQ(r.steps, 0);
    EXPECT_FALSE(r.bands.empty());
    EXPECT_EQ(model.updates(), 0);
  }
}

// A frame whose plane cannot be found (here: a featureless pair, so no stereo at all).
TEST(NearToFar, AFrameWithoutAPlaneSkipsTrainingAndSaysWhy) {
  NearToFar model(kitti_options(), torch::kCPU);
  const torch::Tensor flat = torch::full({3, 376, 1241}, 100, torch::kUInt8);
  const NearToFarResult r = model.step(flat, flat, kKitti);
  EXPECT_FALSE(r.plane_ok);
  EXPECT_NE(r.skipped.find("ground plane"), std::string::npos) << r.skipped;
  EXPECT_EQ(r.steps, 0);
  EXPECT_FALSE(r.bands.empty()) << "prediction goes on with the prior plane";
}

TEST(NearToFar, BadOptionsNameTheKey) {
  NearToFarOptions o;
  o.batch = 0;
  try {
    NearToFar model(o, torch::kCPU);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("batch"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vidssl
