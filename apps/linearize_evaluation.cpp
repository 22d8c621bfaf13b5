#include "apps/linearize_evaluation.h"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <vector>

#include "apps/held_out_source.h"
#include "models/linearize/block_motion.h"
#include "models/linearize/linearize_metrics.h"
#include "models/linearize/linearize_model.h"
#include "models/training/module_state.h"
#include "stages/display_sink.h"
#include "stages/image_file.h"
#include "models/training/json_line.h"
#include "stages/preprocess_stage.h"
#include "models/training/scene_cut.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

// Sums of squared errors and counts, so PSNRs are means over every triplet.
struct PsnrSum {
  double total = 0;
  std::int64_t count = 0;
  void add(const torch::Tensor& estimate, const torch::Tensor& target) {
    const auto n = target.size(0);
    total += mean_psnr(estimate, target).item<double>() * static_cast<double>(n);
    count += n;
  }
  double mean() const { return count ? total / static_cast<double>(count) : 0.0; }
};

// One grey picture per tensor H×W, side by side, each with the same symmetric scale.
cv::Mat strip_of(const std::vector<torch::Tensor>& pictures) {
  return panel_to_mat({"", torch::cat(pictures, 1), Panel::Scale::symmetric});
}

}  // namespace

std::string evaluate_linearize(const LinearizeOptions& model_options, double scene_cut, const EvaluationRequest& request) {
  const torch::Device device = request.device;
  auto source = open_held_out_source(request);
  Linearize model(model_options);
  load_module_tensors(*model, request.checkpoint.weights);
  model->to(device);
  model->eval();
  PreprocessOptions preprocess_options = request.preprocess;
  preprocess_options.size_multiple = model->size_multiple();
  const PreprocessStage preprocess("eval", preprocess_options);
  if (!request.strips_dir.empty()) fs::create_directories(request.strips_dir);

  torch::NoGradGuard no_grad;
  PsnrSum feature, cross_fade, cross_fade_decoded, predict, copy_last, autoencode, feature_residual, predict_residual;
  PsnrSum feature_aligned, cross_fade_aligned, feature_aligned_residual, predict_aligned, copy_last_aligned, predict_aligned_residual;
  double curvature = 0;
  std::int64_t triplets = 0, strips = 0;
  std::vector<torch::Tensor> batch;  // triplets 3×C×H×W
  auto flush = [&] {
    if (batch.empty()) return;
    const auto x = torch::stack(batch);  // N×3×C×H×W
    const auto a = model->pool(model->encode(x.select(1, 0)));
    const auto b = model->pool(model->encode(x.select(1, 1)));
    const auto c = model->pool(model->encode(x.select(1, 2)));
    const auto middle = model->interpolate(a, c);
    const auto fade = 0.5 * (x.select(1, 0) + x.select(1, 2));
    const auto predicted = model->predict(a, b);
    feature.add(middle, x.select(1, 1));
    cross_fade.add(fade, x.select(1, 1));
    predict.add(predicted, x.select(1, 2));
    copy_last.add(x.select(1, 1), x.select(1, 2));
    // What x̃^t would be if averaging the codes moved nothing: the cross-fade of the code's own
    // reconstructions. psnr_feature above it is what the phases' motion adds; the pixel
    // cross-fade above it is what the code loses.
    const auto ra = model->reconstruct(a), rb = model->reconstruct(b), rc = model->reconstruct(c);
    autoencode.add(rb, x.select(1, 1));  // the ceiling
    cross_fade_decoded.add(0.5 * (ra + rc), x.select(1, 1));
    // The same estimates with what the code does not hold, the residual r = x − G(code), carried
    // along: cross-faded for the interpolation (x̃ + ½(r^{t−g} + r^{t+g})), the newest one kept for
    // the prediction (x̂ + r^t). The phases' motion is added to the pixel baselines, and the code's
    // loss no longer counts.
    const auto middle_residual = middle + fade - 0.5 * (ra + rc);
    feature_residual.add(middle_residual, x.select(1, 1));
    predict_residual.add(predicted + x.select(1, 1) - rb, x.select(1, 2));
    curvature += phase_curvature(a, b, c).item<double>() * static_cast<double>(x.size(0));
    // Motion-compensated, an option beyond the paper: block motion on a half-pixel grid aligns the
    // frames first, each pixel by a mixture of motion hypotheses, and the phases move what is left
    // (models/linearize/block_motion.h says why). Each estimate has its aligned baseline: the
    // phases' share is the margin over it.
    const auto halfway = align_halfway(x.select(1, 0), x.select(1, 2));
    const auto a_aligned = model->pool(model->encode(halfway.earlier)), c_aligned = model->pool(model->encode(halfway.later));
    const auto fade_aligned = 0.5 * (halfway.earlier + halfway.later);
    const auto middle_aligned = model->interpolate(a_aligned, c_aligned);
    const auto decoded_fade_aligned = 0.5 * (model->reconstruct(a_aligned) + model->reconstruct(c_aligned));
    const auto middle_aligned_residual = middle_aligned + fade_aligned - decoded_fade_aligned;
    feature_aligned.add(middle_aligned, x.select(1, 1));
    cross_fade_aligned.add(fade_aligned, x.select(1, 1));
    feature_aligned_residual.add(middle_aligned_residual, x.select(1, 1));
    const auto ahead = align_ahead(x.select(1, 0), x.select(1, 1));
    const auto b_aligned = model->pool(model->encode(ahead.later));
    const auto predicted_aligned = model->predict(model->pool(model->encode(ahead.earlier)), b_aligned);
    predict_aligned.add(predicted_aligned, x.select(1, 2));
    copy_last_aligned.add(ahead.later, x.select(1, 2));
    predict_aligned_residual.add(predicted_aligned + ahead.later - model->reconstruct(b_aligned), x.select(1, 2));
    if (!request.strips_dir.empty()) {
      const auto path = model->decode_path(a, c, {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0});
      for (std::int64_t i = 0; i < x.size(0); ++i) {
        const std::int64_t number = triplets + i;
        if (number % request.strip_every != 0) continue;
        auto picture = [](const torch::Tensor& t) { return t[0].cpu(); };  // channel 0
        // x(t-g) | cross-fade | feature-space x~(t) | x~(t) with the residual | the motion-compensated
        // cross-fade | the phases on the aligned frames, with the residual | true x(t) | x(t+g);
        // below, the decoded path.
        const cv::Mat top = strip_of({picture(x[i][0]), picture(fade[i]), picture(middle[i]), picture(middle_residual[i]),
                                      picture(fade_aligned[i]), picture(middle_aligned_residual[i]), picture(x[i][1]), picture(x[i][2])});
        std::vector<torch::Tensor> steps;
        for (std::int64_t k = 0; k < path.size(1); ++k) steps.push_back(picture(path[i][k]));
        cv::Mat bottom = strip_of(steps);
        cv::resize(bottom, bottom, {top.cols, std::max(1, bottom.rows * top.cols / bottom.cols)}, 0, 0, cv::INTER_AREA);
        cv::Mat both;
        cv::vconcat(top, bottom, both);
        char name[64];
        std::snprintf(name, sizeof(name), "triplet_%06lld.png", static_cast<long long>(number));
        write_image((fs::path(request.strips_dir) / name).string(), both);
        ++strips;
      }
    }
    triplets += x.size(0);
    batch.clear();
  };
  // The newest frames of the continuous run in progress, preprocessed (originals kept): the
  // triplet is its first, middle and last of 2·gap + 1.
  const auto span = static_cast<std::size_t>(2 * request.gap + 1);
  std::deque<Frame> recent;
  Frame frame;
  while (source->read(frame)) {
    for (const auto& w : source->take_warnings()) spdlog::warn("{}", w);
    const bool continues = !recent.empty() && recent.back().clip_id == frame.clip_id && recent.back().index + 1 == frame.index &&
                           !is_scene_cut(recent.back().original, frame.image, scene_cut);
    if (!continues) recent.clear();
    Frame prepared = frame;
    prepared.original = frame.image;
    prepared.image = preprocess.prepare(frame.image);
    recent.push_back(prepared);
    if (recent.size() < span) continue;
    batch.push_back(torch::stack({recent.front().image, recent[span / 2].image, recent.back().image}));
    recent.pop_front();
    if (batch.size() == 16) flush();
  }
  for (const auto& w : source->take_warnings()) spdlog::warn("{}", w);
  flush();
  if (triplets == 0)
    throw std::runtime_error(request.source + ": no run of " + std::to_string(span) + " consecutive frames (a triplet at gap " +
                             std::to_string(request.gap) + ") to evaluate on");
  JsonLine line;
  line.add("model", "linearize")
      .add("checkpoint", request.checkpoint_folder)
      .add("step", request.checkpoint.step)
      .add("source", request.source)
      .add("gap", request.gap)
      .add("n_triplets", triplets)
      .add("psnr_feature", feature.mean())
      .add("psnr_crossfade", cross_fade.mean())
      .add("psnr_crossfade_decoded", cross_fade_decoded.mean())
      .add("psnr_feature_residual", feature_residual.mean())
      .add("psnr_predict", predict.mean())
      .add("psnr_copy_last", copy_last.mean())
      .add("psnr_predict_residual", predict_residual.mean())
      .add("psnr_autoencode", autoencode.mean())
      .add("psnr_crossfade_aligned", cross_fade_aligned.mean())
      .add("psnr_feature_aligned", feature_aligned.mean())
      .add("psnr_feature_aligned_residual", feature_aligned_residual.mean())
      .add("psnr_copy_last_aligned", copy_last_aligned.mean())
      .add("psnr_predict_aligned", predict_aligned.mean())
      .add("psnr_predict_aligned_residual", predict_aligned_residual.mean())
      .add("curvature", curvature / static_cast<double>(triplets));
  if (!request.strips_dir.empty()) line.add("strips", strips).add("strips_dir", request.strips_dir);
  return line.str();
}

}  // namespace vidssl
