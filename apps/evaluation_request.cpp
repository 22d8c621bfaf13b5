#include "apps/evaluation_request.h"

#include <stdexcept>

#include "apps/learner_kinds.h"
#include "apps/run_folder.h"
#include "models/torch_runtime.h"

namespace vidssl {

CheckpointedLearner load_checkpointed_learner(const std::string& path, const std::string& model, const std::string& device) {
  CheckpointedLearner out;
  EvaluationRequest& r = out.request;
  r.checkpoint_folder = resolve_checkpoint(path, model);
  r.checkpoint = CheckpointStore::load(r.checkpoint_folder);
  out.config = parse_run_config(r.checkpoint.config, r.checkpoint_folder + "/config.yaml", learner_kinds());
  if (!model.empty() && model != r.checkpoint.learner)
    throw std::runtime_error(r.checkpoint_folder + " is a checkpoint of '" + r.checkpoint.learner + "', not of --model " + model);
  out.learner = &out.config.learner(r.checkpoint.learner);
  if (&find_learner_kind(learner_kinds(), r.checkpoint.model, r.checkpoint_folder + "/meta.json model") != out.learner->kind)
    throw std::runtime_error(r.checkpoint_folder + ": a checkpoint of model kind '" + r.checkpoint.model + "', but its config's models." +
                             out.learner->name + " is of kind '" + out.learner->kind->name + "'");
  configure_torch_runtime(out.config.threads);
  r.device = resolve_device(device);
  r.source_options = out.config.source;
  r.decoder_threads = out.config.decoder_threads;
  r.preprocess = out.config.preprocess;
  r.preprocess.channels = out.learner->channels;
  r.preprocess.level = out.learner->level;
  r.preprocess.device = r.device;
  r.seed = out.config.seed;
  return out;
}

}  // namespace vidssl
