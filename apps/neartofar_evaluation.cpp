#include "apps/neartofar_evaluation.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "apps/kinds/neartofar_kind.h"
#include "models/neartofar/near_to_far.h"
#include "models/training/json_line.h"
#include "stages/stereo_sequence_source.h"

namespace vidssl {
namespace {

bool traversable(std::int64_t label) {
  return label == static_cast<std::int64_t>(Traversability::ground) || label == static_cast<std::int64_t>(Traversability::super_ground);
}

// Far-window scores of one classifier: a confusion matrix over the five classes.
struct FarScore {
  std::array<std::array<std::int64_t, kTraversabilityClasses>, kTraversabilityClasses> confusion{};  // [label][predicted]
  std::int64_t windows = 0;

  void add(const NearToFarResult& result, double near, double stereo_limit) {
    for (const auto& band : result.bands) {
      if (band.distance < near || band.distance > stereo_limit) continue;
      for (const auto& w : band.windows) {
        if (w.label == kUnlabeled) continue;
        const auto predicted = std::max_element(w.probabilities.begin(), w.probabilities.end()) - w.probabilities.begin();
        ++confusion[w.label][predicted];
        ++windows;
      }
    }
  }
  double accuracy() const {
    std::int64_t right = 0;
    for (int c = 0; c < kTraversabilityClasses; ++c) right += confusion[c][c];
    return windows ? static_cast<double>(right) / windows : std::nan("");
  }
  double traversable_accuracy() const {
    std::int64_t right = 0;
    for (int l = 0; l < kTraversabilityClasses; ++l)
      for (int p = 0; p < kTraversabilityClasses; ++p)
        if (traversable(l) == traversable(p)) right += confusion[l][p];
    return windows ? static_cast<double>(right) / windows : std::nan("");
  }
  // Mean recall over the classes present: what a skewed far range (mostly obstacles) cannot hide.
  double balanced_accuracy() const {
    double sum = 0;
    int classes = 0;
    for (int c = 0; c < kTraversabilityClasses; ++c) {
      std::int64_t n = 0;
      for (int p = 0; p < kTraversabilityClasses; ++p) n += confusion[c][p];
      if (n == 0) continue;
      sum += static_cast<double>(confusion[c][c]) / n;
      ++classes;
    }
    return classes ? sum / classes : std::nan("");
  }
  std::int64_t majority() const {
    std::int64_t best = 0, best_n = -1;
    for (int c = 0; c < kTraversabilityClasses; ++c) {
      std::int64_t n = 0;
      for (int p = 0; p < kTraversabilityClasses; ++p) n += confusion[c][p];
      if (n > best_n) best = c, best_n = n;
    }
    return best;
  }
  // The accuracy of calling every window `label`.
  double constant_accuracy(std::int64_t label) const {
    std::int64_t n = 0;
    for (int p = 0; p < kTraversabilityClasses; ++p) n += confusion[label][p];
    return windows ? static_cast<double>(n) / windows : std::nan("");
  }
  double constant_traversable_accuracy(std::int64_t label) const {
    std::int64_t n = 0;
    for (int l = 0; l < kTraversabilityClasses; ++l)
      if (traversable(l) == traversable(label))
        for (int p = 0; p < kTraversabilityClasses; ++p) n += confusion[l][p];
    return windows ? static_cast<double>(n) / windows : std::nan("");
  }
  std::string f1() const {
    JsonLine out;
    for (int c = 0; c < kTraversabilityClasses; ++c) {
      std::int64_t tp = confusion[c][c], labeled = 0, predicted = 0;
      for (int k = 0; k < kTraversabilityClasses; ++k) labeled += confusion[c][k], predicted += confusion[k][c];
      out.add(traversability_name(c), labeled + predicted ? 2.0 * tp / static_cast<double>(labeled + predicted) : std::nan(""));
    }
    return out.str();
  }
  std::string labels() const {
    JsonLine out;
    for (int c = 0; c < kTraversabilityClasses; ++c) {
      std::int64_t n = 0;
      for (int p = 0; p < kTraversabilityClasses; ++p) n += confusion[c][p];
      out.add(traversability_name(c), n);
    }
    return out.str();
  }
};

}  // namespace

std::string evaluate_neartofar(const NearToFarOptions& options, const std::string& init_from, const EvaluationRequest& request) {
  if (!(request.near_distance > 0)) throw std::runtime_error("--near: expected metres > 0");
  if (request.gap != 1) throw std::runtime_error("--gap: Model C scores each stereo frame on its own; a gap applies to Models A and B");
  SourceOptions source_options = request.source_options;
  source_options.path = request.source;
  source_options.max_frames = request.max_frames;
  StereoSequenceSource source(source_options);

  torch::manual_seed(request.seed);  // both classifiers start from the run's seed: the table is reproducible
  NearToFarOptions normalized = options;
  normalized.train_max_distance = request.near_distance;
  NearToFarOptions plain = normalized;
  plain.bands.normalize = false;
  NearToFar model(normalized, request.device), baseline(plain, request.device);
  if (!init_from.empty()) {
    init_from_model_a(model, init_from);
    init_from_model_a(baseline, init_from);
  }

  FarScore far, plain_far;
  std::array<std::int64_t, kTraversabilityClasses> near_labels{};
  std::int64_t frames = 0, skipped = 0;
  Frame frame;
  while (source.read(frame)) {
    const NearToFarResult r = model.step(frame.image, frame.right, source.camera());
    const NearToFarResult p = baseline.step(frame.image, frame.right, source.camera());
    far.add(r, request.near_distance, normalized.stereo_max_distance);
    plain_far.add(p, request.near_distance, normalized.stereo_max_distance);
    for (const auto& band : r.bands)
      if (band.distance <= request.near_distance)
        for (const auto& w : band.windows)
          if (w.label != kUnlabeled) ++near_labels[w.label];
    ++frames;
    if (!r.skipped.empty()) ++skipped;
    spdlog::info("frame {}: {} far windows so far, far accuracy {:.3f} (plain bands {:.3f}){}", frame.index, far.windows,
                 far.accuracy(), plain_far.accuracy(), r.skipped.empty() ? "" : ", not trained: " + r.skipped);
  }
  for (const auto& w : source.take_warnings()) spdlog::warn("{}", w);
  if (frames == 0) throw std::runtime_error(request.source + ": no stereo frames to evaluate on");
  const std::int64_t near_majority = std::max_element(near_labels.begin(), near_labels.end()) - near_labels.begin();
  const std::int64_t majority = far.majority();
  return JsonLine()
      .add("model", "neartofar")
      .add("checkpoint", request.checkpoint_folder)
      .add("source", request.source)
      .add("frames", frames)
      .add("frames_not_trained", skipped)
      .add("near_distance", request.near_distance)
      .add("stereo_limit", normalized.stereo_max_distance)
      .add("far_accuracy", far.accuracy())
      .add("far_balanced_accuracy", far.balanced_accuracy())
      .add_raw("far_f1", far.f1())
      .add("majority_class", traversability_name(majority))
      .add("majority_accuracy", far.constant_accuracy(majority))
      .add("near_majority_class", traversability_name(near_majority))
      .add("near_majority_accuracy", far.constant_accuracy(near_majority))
      .add("unnormalized_far_accuracy", plain_far.accuracy())
      .add("unnormalized_far_balanced_accuracy", plain_far.balanced_accuracy())
      .add_raw("unnormalized_far_f1", plain_far.f1())
      .add("far_traversable_accuracy", far.traversable_accuracy())
      .add("majority_traversable_accuracy", far.constant_traversable_accuracy(majority))
      .add("unnormalized_far_traversable_accuracy", plain_far.traversable_accuracy())
      .add("n_far_windows", far.windows)
      .add("unnormalized_n_far_windows", plain_far.windows)
      .add_raw("far_labels", far.labels())
      .str();
}

}  // namespace vidssl
