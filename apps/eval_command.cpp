#include "apps/eval_command.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdio>
#include <vector>

#include "apps/held_out_source.h"
#include "apps/linearize_evaluation.h"
#include "apps/neartofar_evaluation.h"
#include "models/slow/slow_metrics.h"
#include "models/slow/slow_sparse.h"
#include "models/torch_runtime.h"
#include "models/training/checkpoint.h"
#include "models/training/module_state.h"
#include "stages/json_line.h"
#include "stages/preprocess_stage.h"
#include "stages/run_config.h"

namespace vidssl {
namespace {

// Model A on held-out frames: features are the pooled codes P(h) of each frame.
std::string evaluate_slow(const EvalArgs& args, const std::string& folder, const CheckpointData& data, RunConfig& config,
                          torch::Device device) {
  auto source = open_held_out_source(config, args.source, args.max_frames);
  SlowSparse model(config.slow);
  load_module_tensors(*model, data.weights);
  model->to(device);
  model->eval();
  config.preprocess.device = device;
  const PreprocessStage preprocess("eval", config.preprocess);

  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> features;
  std::vector<FrameTiming> timing;
  double residual = 0, energy = 0, active = 0, units = 0;
  std::vector<torch::Tensor> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    const auto x = torch::stack(batch);
    const auto h = model->encode(x);
    residual += (x - model->decode(h)).pow(2).sum().item<double>();
    energy += x.pow(2).sum().item<double>();
    active += (h.abs() > 1e-3).sum().item<double>();
    units += static_cast<double>(h.numel());
    features.push_back(model->pool(h).flatten(1).cpu());
    batch.clear();
  };
  Frame frame;
  while (source->read(frame)) {
    batch.push_back(preprocess.prepare(frame.image));
    timing.push_back({frame.clip_id, frame.timestamp_us});
    if (batch.size() == 16) flush();
    for (const auto& w : source->take_warnings()) spdlog::warn("{}", w);
  }
  for (const auto& w : source->take_warnings()) spdlog::warn("{}", w);
  flush();
  if (timing.size() < 3) throw std::runtime_error(args.source + ": only " + std::to_string(timing.size()) + " frames; eval needs at least 3");
  const auto all = torch::cat(features);
  return JsonLine()
      .add("model", "slow")
      .add("checkpoint", folder)
      .add("step", data.step)
      .add("source", args.source)
      .add("frames", static_cast<std::int64_t>(timing.size()))
      .add("tcr", temporal_coherence_ratio(all, timing, args.min_gap_seconds))
      .add("temporal_auc", temporal_auc(all, fixed_length_scenes(timing, args.scene_seconds)))
      .add("residual_energy", residual / std::max(energy, 1e-12))
      .add("active_fraction", active / std::max(units, 1.0))
      .add("scene_seconds", args.scene_seconds)
      .str();
}

}  // namespace

int eval_command(const EvalArgs& args) {
  const std::string folder = CheckpointStore::resolve(args.checkpoint);
  const CheckpointData data = CheckpointStore::load(folder);
  RunConfig config = parse_run_config(data.config, folder + "/config.yaml");
  configure_torch_runtime(config.threads);
  const torch::Device device = resolve_device(args.device);
  if (data.model == "linearize") {
    LinearizeEvaluationOptions options;
    options.source = args.source;
    options.max_frames = args.max_frames;
    std::printf("%s\n", evaluate_linearize(options, folder, data, config, device).c_str());
    return 0;
  }
  if (data.model == "neartofar") {
    NearToFarEvaluationOptions options;
    options.source = args.source;
    options.max_frames = args.max_frames;
    options.near_distance = args.near_distance;
    std::printf("%s\n", evaluate_neartofar(options, folder, data, config, device).c_str());
    return 0;
  }
  if (data.model != "slow") throw std::runtime_error(folder + ": model '" + data.model + "' has no evaluation yet");
  std::printf("%s\n", evaluate_slow(args, folder, data, config, device).c_str());
  return 0;
}

}  // namespace vidssl
