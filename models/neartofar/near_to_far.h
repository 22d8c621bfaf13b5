#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "models/neartofar/balanced_window_buffer.h"
#include "models/neartofar/distance_bands.h"
#include "models/neartofar/ground_plane.h"
#include "models/neartofar/stereo_camera.h"
#include "models/neartofar/traversability_labels.h"
#include "models/neartofar/traversability_net.h"
#include "models/ops/stereo_matcher.h"
#include "models/torch_runtime.h"
#include "models/training/checkpoint.h"
#include "models/distributed/data_parallel.h"
#include "models/training/optimizer_options.h"

namespace vidssl {

// Everything one near-to-far step needs; the `model.*` keys of configs/kitti-traverse.yaml.
struct NearToFarOptions {
  StereoMatcherOptions stereo;
  int stereo_level = 1;               // stereo, plane and labels on pyramid level k of the pair (1: half size)
  double stereo_max_distance = 40.0;  // m: the stereo limit; farther points give no labels
  GroundPlaneOptions ground;
  double ground_max_distance = 20.0;  // m: points nearer than this, below the principal point, seed the plane
  LabelOptions labels;
  DistanceBandsOptions bands;
  TraversabilityNetOptions net;
  BalancedWindowBufferOptions buffer;
  OptimizerOptions optimizer;
  std::int64_t steps_per_frame = 4;
  std::int64_t batch = 64;
  bool train_all_layers = true;       // false: only the logistic layer learns (features frozen)
  // Windows of bands farther than this never train (the near-to-far evaluation sets D_near = 15 m);
  // their stereo labels are still reported, for scoring.
  double train_max_distance = 1000.0;
  std::uint64_t seed = 1;
  Precision precision = Precision::fp32;  // the training forward pass's (run.precision; models/torch_runtime.h)

  void check() const;  // std::invalid_argument naming the key
};

struct WindowPrediction {
  double azimuth = 0;                    // rad, positive to the right
  std::array<float, 5> probabilities{};  // per class (Traversability order)
  std::int64_t label = kUnlabeled;       // from stereo, or kUnlabeled
  std::array<double, 4> box{};           // in the left image: top, bottom, left, right (pixel edges)
};

struct BandPrediction {
  int index = 0;
  double distance = 0;  // m
  std::vector<WindowPrediction> windows;
};

// What one frame gave.
struct NearToFarResult {
  std::string skipped;                 // why training was skipped this frame; empty when it trained
  bool plane_ok = false;
  PlaneFit plane_fit;                  // this frame's fit (reason set when it failed)
  Plane plane;                         // the plane the bands were cut with (this frame's, else the last good one, else the prior)
  std::int64_t labeled_windows = 0;    // this frame, all distances
  std::int64_t trained_windows = 0;    // of those, entered the buffer (nearer than train_max_distance)
  std::int64_t steps = 0;              // updates made this frame
  double loss = std::numeric_limits<double>::quiet_NaN();  // mean over this frame's updates
  std::vector<double> losses;          // each update's loss in order; a non-finite one makes no update
  std::vector<BandPrediction> bands;
  std::vector<std::pair<std::string, double>> ms;  // stereo, plane, labels, bands, train, predict
  torch::Tensor disparity;             // at the stereo level, CPU (display)
  torch::Tensor heights;               // height above the plane at the stereo level, NaN without stereo, CPU
};

// Near-to-far traversability learned online from stereo (Hadsell et al., "Learning long-range
// vision for autonomous off-road driving", JFR 2009; DESIGN §8). Per frame: stereo gives 3-D
// points; a plane fit to the near ground gives every point a height; windows of the distance-
// normalized bands where stereo is dense get one of five labels from those heights; the labeled
// windows enter a class-balanced buffer; a few SGD steps train the classifier; then every window of
// every band, near and far, is classified. Why: stereo is reliable only to a few tens of metres,
// but the same objects look alike in normalized bands at every distance, so what stereo labels
// near teaches the network what to call far.
//
//   NearToFar model(options, torch::kCPU);
//   NearToFarResult r = model.step(frame.image, frame.right, source.camera());
//   // r.bands[i].windows[j].probabilities, r.ms, r.skipped
//
// A bad frame never stops the run: a calibration without a positive baseline, a failed plane fit or
// a frame with no labeled window skips training for that frame and says why in `skipped`.
class NearToFar {
 public:
  NearToFar(NearToFarOptions options, torch::Device device);

  // left, right: C×H×W uint8 (channel 0 luma; C = net.in_channels for the bands), CPU or device.
  NearToFarResult step(const torch::Tensor& left, const torch::Tensor& right, const StereoCamera& camera);

  TraversabilityNet& net() { return net_; }
  const NearToFarOptions& options() const { return options_; }
  std::int64_t updates() const { return updates_; }
  const BalancedWindowBuffer& buffer() const { return buffer_; }

  // Weights, optimizer, update count, the window buffer and the last good plane: a resumed run
  // goes on as the stopped one would have.
  void save(CheckpointData& data);
  void load(const CheckpointData& data);
  // The classifier's (Learner::weights_problem, Learner::set_learning_rate_scale).
  std::string weights_problem() const;
  void set_learning_rate_scale(double scale);
  // Trains data-parallel with the group's other ranks from now on (Learner::join): each update's
  // gradients and loss are averaged over the ranks; none is made once another rank left.
  void join(std::shared_ptr<DataParallel> group);

 private:
  // The frame's updates; per update its loss and whether it was applied (steps×2, on the device,
  // undefined when the buffer is empty). Nothing is read: a non-finite loss makes no update,
  // decided on the device (models/training/guarded_step.h).
  torch::Tensor train();

  NearToFarOptions options_;
  torch::Device device_;
  StereoMatcher matcher_;
  GroundPlane ground_;
  DistanceBands cut_;
  TraversabilityNet net_;
  BalancedWindowBuffer buffer_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::optional<Plane> last_plane_;
  std::int64_t updates_ = 0;
  std::shared_ptr<DataParallel> data_parallel_;  // null: one process
};

}  // namespace vidssl
