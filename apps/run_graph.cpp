#include "apps/run_graph.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <utility>

#include "apps/deadline.h"
#include "models/torch_runtime.h"
#include "models/training/json_line.h"
#include "stages/config_reader.h"
#include "stages/decoder_threads.h"
#include "stages/open_source.h"
#include "stages/preprocess_stage.h"
#include "stages/source_stage.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

// Resumes one learner from its newest checkpoint that loads; returns the frame it goes on from (0
// when it has none yet: a learner added to the config of a run that already trained others starts
// afresh). A checkpoint that does not load (a damaged file, a disk that lost it) is set aside with
// a warning naming it and why, and the next older one is tried: a run is never lost to one bad
// write. A checkpoint of another model kind is the config's mistake, not damage: that stops here.
std::int64_t resume_learner(RunLearner& l, const std::string& folder, const LearnerKinds& kinds) {
  const auto checkpoints = CheckpointStore::all(folder);
  const auto set_aside = [&](const std::string& checkpoint, const std::exception& why) {
    spdlog::warn("{}: skipping checkpoint {}, moved to {}: {}", l.config->name, checkpoint, CheckpointStore::set_aside(checkpoint),
                 error_message(why));
  };
  for (auto at = checkpoints.rbegin(); at != checkpoints.rend(); ++at) {
    CheckpointData data;
    std::int64_t next = 0;
    try {
      data = CheckpointStore::load(*at);
    } catch (const std::exception& e) {
      set_aside(*at, e);
      continue;
    }
    if (&find_learner_kind(kinds, data.model, *at + "/meta.json model") != l.config->kind)
      throw std::runtime_error(*at + ": a checkpoint of model kind '" + data.model + "', but models." + l.config->name + " is of kind '" +
                               l.config->kind->name + "'");
    try {
      next = l.stage->resume(data, *at);
    } catch (const std::exception& e) {
      set_aside(*at, e);
      continue;
    }
    spdlog::info("{}: resuming from {} (step {}), frames before {} are passed over", l.config->name, *at, l.stage->steps(), next);
    return next;
  }
  if (checkpoints.empty())
    spdlog::warn("{}: no checkpoint in {}, it starts afresh", l.config->name, folder);
  else
    throw std::runtime_error(l.config->name + ": none of the " + std::to_string(checkpoints.size()) + " checkpoints in " + folder +
                             "/checkpoints loads (each set aside as damaged-step-…, reasons above)");
  return 0;
}

}  // namespace

std::unique_ptr<RunGraph> build_run_graph(const RunConfig& config, const LearnerKinds& kinds, const RunGraphOptions& options) {
  auto graph = std::make_unique<RunGraph>();
  std::unique_ptr<FrameSource> source;
  {
    const Deadline deadline(config.stall_timeout_s, fmt::format("source {}: not open after {:.1f} s (source.stall_timeout): nothing sends to it",
                                                                config.source.path, config.stall_timeout_s));
    FfmpegSourceOptions decoding;
    decoding.decoder_threads = config.decoder_threads;
    decoding.spare_cores = spare_cores(static_cast<int>(std::thread::hardware_concurrency()), static_cast<int>(config.learners.size()),
                                       config.threads, options.device.is_cuda());
    SourceOptions opening = config.source;
    opening.pinned = options.device.is_cuda();  // the learners' uploads are then asynchronous
    source = open_source(opening, nullptr, decoding);
  }
  graph->source = source->info();
  const SourceInfo& info = graph->source;
  spdlog::info("source {}: {}x{}x{}, {:.3g} fps, {} frames{}{}", info.description, info.width, info.height, info.channels, info.fps,
               info.frame_count >= 0 ? std::to_string(info.frame_count) : "unknown", info.live ? " (live)" : "",
               info.stereo ? ", stereo" : "");

  // The learners, each built for the frames it will get.
  for (const LearnerConfig& lc : config.learners) {
    RunLearner l;
    l.config = &lc;
    const std::string key = "models." + lc.name;
    if (lc.channels > info.channels)
      throw ConfigError(key + ".input.channels: the source delivers " + std::to_string(info.channels) + " channel(s), not " +
                        std::to_string(lc.channels));
    LearnerSource for_learner;
    for_learner.channels = lc.channels > 0 ? lc.channels : info.channels;
    for_learner.camera = info.stereo;
    // Each learner starts from the run's seed: its initial weights do not depend on the others in the run.
    torch::manual_seed(config.seed);
    check_under(key + ": ", [&] { l.learner = lc.recipe->make(for_learner, options.device); });
    if (!l.learner->needs().preprocessed && (lc.level != 0 || (lc.channels != 0 && lc.channels != info.channels)))
      throw ConfigError(key + ".input: " + lc.kind->name + " learns from the decoded frames as they are; input.level and input.channels " +
                        "apply to the models that learn from preprocessed frames");
    if (l.learner->needs().stereo && !info.stereo)
      throw ConfigError(key + ": needs a stereo source (a folder with left/, right/ and calib.txt); source.path '" + config.source.path +
                        "' is not one");
    spdlog::info("{}: {}, on {}", lc.name, lc.recipe->describe(), options.device.str());
    graph->learners.push_back(std::move(l));
  }

  Pipeline& p = graph->pipeline;
  // A file restarts at the earliest frame any learner needs; a live source numbers on from the
  // latest, so that every learner takes the live frames at once (stages/source_stage.h).
  std::int64_t earliest = std::numeric_limits<std::int64_t>::max(), latest = 0;
  for (RunLearner& l : graph->learners) {
    const LearnerConfig& lc = *l.config;
    LearnerStageOptions stage = lc.stage;
    stage.folder = (fs::path(options.rank_dir.empty() ? options.run_dir : options.rank_dir) / lc.name).string();
    stage.config_yaml = config.yaml;
    stage.panel_interval_s = options.panel_interval_s;
    l.stage = &p.add<LearnerStage>(lc.name, *l.learner, stage, options.metrics);
    if (options.resume) l.first_frame = resume_learner(l, (fs::path(options.run_dir) / lc.name).string(), kinds);
    if (options.resume && !options.rank_dir.empty() && l.stage->steps() > 0) {
      if (const auto own = l.stage->resume_frame_index_of_this_rank()) {
        l.first_frame = *own;
        spdlog::info("{}: this rank's frames before {} are passed over (its own share of the source)", lc.name, *own);
      } else {
        spdlog::info("{}: this rank has no frame index for step {} (the checkpoint came from fewer ranks): it passes over rank 0's {} frames",
                     lc.name, l.stage->steps(), l.first_frame);
      }
    }
    if (options.rendezvous) l.stage->join(std::make_shared<DataParallel>(options.rendezvous->group(lc.name), config.dist, lc.name));
    earliest = std::min(earliest, l.first_frame);
    latest = std::max(latest, l.first_frame);
    l.latest = p.tap(*l.stage, graph->bell);
    if (const auto videos = l.learner->videos(); stage.videos && !videos.empty()) {
      l.video = &p.add<PanelVideo>(lc.name + "-video", stage.folder, videos, info.fps, l.first_frame);
      p.connect(*l.stage, *l.video, EdgeOptions{4, EdgePolicy::block});
    }
  }
  const std::int64_t first_frame = graph->learners.empty() ? 0 : info.live ? latest : earliest;

  MetricsLog* metrics = options.metrics;
  auto warn = [metrics](const std::string& message) {
    spdlog::warn("{}", message);
    if (metrics) metrics->write(JsonLine().add("event", "source_warning").add("message", message).str());
  };
  auto& source_stage = p.add<SourceStage>("source", std::move(source), warn, first_frame, config.source.realtime || info.live);
  graph->source_stage = &source_stage;

  // One preprocessing per distinct (level, channels), cropping to what every learner behind it needs.
  std::map<std::pair<int, int>, std::vector<RunLearner*>> groups;
  for (RunLearner& l : graph->learners) {
    if (l.learner->needs().preprocessed) {
      groups[{l.config->level, l.config->channels}].push_back(&l);
    } else {
      p.connect(source_stage, *l.stage, l.config->edge);
    }
  }
  for (const auto& [setting, members] : groups) {
    PreprocessOptions preprocess = config.preprocess;
    preprocess.level = setting.first;
    preprocess.channels = setting.second;
    preprocess.device = options.device;
    std::string name = "preprocess";
    for (const RunLearner* l : members) {
      preprocess.size_multiple = std::lcm(preprocess.size_multiple, l->learner->needs().size_multiple);
      if (groups.size() > 1) name += (l == members.front() ? ":" : "+") + l->config->name;
    }
    auto& stage = p.add<PreprocessStage>(name, preprocess);
    p.connect(source_stage, stage, config.source_edge);
    for (RunLearner* l : members) p.connect(stage, *l->stage, l->config->edge);
  }
  return graph;
}

}  // namespace vidssl
