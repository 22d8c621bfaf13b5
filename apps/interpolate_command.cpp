#include "apps/interpolate_command.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "apps/linearize_evaluation.h"
#include "models/torch_runtime.h"
#include "models/training/checkpoint.h"
#include "stages/run_config.h"

namespace fs = std::filesystem;

namespace vidssl {

int interpolate_command(const InterpolateArgs& args) {
  const std::string folder = CheckpointStore::resolve(args.checkpoint);
  const CheckpointData data = CheckpointStore::load(folder);
  if (data.model != "linearize")
    throw std::runtime_error(folder + ": interpolate needs a Model B checkpoint (model.kind linearize), this one is '" + data.model + "'");
  if (args.every < 1) throw std::invalid_argument("--every: expected an integer >= 1");
  RunConfig config = parse_run_config(data.config, folder + "/config.yaml");
  configure_torch_runtime(config.threads);
  const torch::Device device = resolve_device(args.device);
  LinearizeEvaluationOptions options;
  options.source = args.source;
  options.max_frames = args.max_frames;
  options.strip_every = args.every;
  // A checkpoint sits in <run>/checkpoints/step-N: strips go beside them, in <run>/interpolate.
  options.strips_dir = !args.out.empty() ? args.out : (fs::path(folder).parent_path().parent_path() / "interpolate").string();
  std::printf("%s\n", evaluate_linearize(options, folder, data, config, device).c_str());
  return 0;
}

}  // namespace vidssl
