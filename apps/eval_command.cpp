#include "apps/eval_command.h"

#include <cstdio>

#include "apps/evaluation_request.h"

namespace vidssl {

int eval_command(const EvalArgs& args) {
  CheckpointedLearner c = load_checkpointed_learner(args.checkpoint, args.model, args.device);
  EvaluationRequest& r = c.request;
  r.source = args.source;
  r.max_frames = args.max_frames;
  r.scene_seconds = args.scene_seconds;
  r.scene_gap_seconds = args.scene_gap_seconds;
  r.min_gap_seconds = args.min_gap_seconds;
  r.near_distance = args.near_distance;
  r.gap = args.gap;
  r.inferred_codes = args.codes == "inferred";  // main.cpp admits encoder and inferred only
  r.centered = args.centered;
  std::printf("%s\n", c.learner->recipe->evaluate(r).c_str());
  return 0;
}

}  // namespace vidssl
