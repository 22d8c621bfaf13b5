#include "apps/kinds/clip_learner_keys.h"

namespace vidssl {

ClipLearnerOptions read_clip_learner_options(ConfigReader& r, const std::string& prefix, const LearnerContext& context) {
  ClipLearnerOptions o;
  r.read(prefix + "train.batch", o.replay.batch);
  r.read(prefix + "train.replay_capacity", o.replay.capacity);
  r.read(prefix + "train.steps_per_frame", o.steps_per_frame);
  r.read(prefix + "train.frame_gap", o.frame_gap);
  r.read(prefix + "train.scene_cut", o.scene_cut);
  r.read(prefix + "train.metrics_every", o.metrics_every);
  o.replay.seed = context.seed;
  o.precision = context.precision;
  check_under(prefix, [&] { check_options(o); });
  return o;
}

}  // namespace vidssl
