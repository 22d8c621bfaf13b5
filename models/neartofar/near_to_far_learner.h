#pragma once

#include "models/neartofar/near_to_far.h"
#include "models/neartofar/stereo_camera.h"
#include "models/training/learner.h"

namespace vidssl {

// Model C as a learner: every stereo frame is one NearToFar step (stereo labels, a few updates,
// every band classified). Its updates are the classifier's SGD steps; the frame's figures (ms per
// stage, windows labeled and trained) and why a frame did not train go to metrics.jsonl; its
// record is the frame's line of predictions.jsonl; its panels are the predictions and the stereo
// labels over the left picture, the top-down map and the disparity, and its videos overlay.avi
// (predictions above labels) and topdown.avi.
//
//   NearToFarLearner learner(options, source.camera(), torch::kCPU);
//   LearnerUpdate u = learner.consume(frame);   // frame.image, frame.right: decoded uint8 pictures
class NearToFarLearner final : public Learner {
 public:
  NearToFarLearner(NearToFarOptions options, StereoCamera camera, torch::Device device);

  const char* kind() const override { return "neartofar"; }
  LearnerNeeds needs() const override;
  torch::Device device() const override { return device_; }
  LearnerUpdate consume(const LearnerFrame& frame) override;
  std::int64_t steps() const override { return model_.updates(); }
  std::vector<Panel> panels() override;
  PanelLayout panel_layout() const override;
  std::vector<LearnerVideo> videos() const override;
  void save(CheckpointData& data) override { model_.save(data); }
  void load(const CheckpointData& data) override { model_.load(data); }
  std::string weights_problem() const override { return model_.weights_problem(); }
  void set_learning_rate_scale(double scale) override { model_.set_learning_rate_scale(scale); }
  void join(std::shared_ptr<DataParallel> group) override { model_.join(std::move(group)); }

  NearToFar& model() { return model_; }
  const NearToFarResult& last_result() const { return last_; }

 private:
  NearToFar model_;
  StereoCamera camera_;
  torch::Device device_;
  NearToFarResult last_;
  torch::Tensor last_left_;
};

}  // namespace vidssl
