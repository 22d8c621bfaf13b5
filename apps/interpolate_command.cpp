#include "apps/interpolate_command.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "apps/evaluation_request.h"

namespace fs = std::filesystem;

namespace vidssl {

int interpolate_command(const InterpolateArgs& args) {
  if (args.every < 1) throw std::invalid_argument("--every: expected an integer >= 1");
  CheckpointedLearner c = load_checkpointed_learner(args.checkpoint, args.model, args.device);
  EvaluationRequest& r = c.request;
  r.source = args.source;
  r.max_frames = args.max_frames;
  r.strip_every = args.every;
  r.gap = args.gap;
  // A checkpoint sits in <run>/<learner>/checkpoints/step-N: strips go beside them, in <run>/<learner>/interpolate.
  r.strips_dir = !args.out.empty() ? args.out : (fs::path(r.checkpoint_folder).parent_path().parent_path() / "interpolate").string();
  std::printf("%s\n", c.learner->recipe->interpolate(r).c_str());
  return 0;
}

}  // namespace vidssl
