#include "apps/run_command.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apps/drive_pipeline.h"
#include "apps/make_learner.h"
#include "apps/neartofar_run.h"
#include "apps/run_folder.h"
#include "models/torch_runtime.h"
#include "pipeline/pipeline.h"
#include "stages/display_sink.h"
#include "stages/json_line.h"
#include "stages/metrics_log.h"
#include "stages/open_source.h"
#include "stages/preprocess_stage.h"
#include "stages/run_config.h"
#include "stages/source_stage.h"
#include "stages/train_stage.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

double value_of(const LearnerStep& step, const std::string& key) {
  for (const auto& [k, v] : step.values)
    if (k == key) return v;
  return std::nan("");
}

// "frame 240/795 30% | step 239 | 21.3 steps/s | loss 0.2311 | dropped 0"
std::string status_text(const TrainReport& r, std::int64_t frame_count, std::uint64_t dropped) {
  char buf[256];
  char progress[64] = "";
  if (frame_count > 0)
    std::snprintf(progress, sizeof(progress), "/%lld %3.0f%%", static_cast<long long>(frame_count),
                  100.0 * static_cast<double>(r.frame.index + 1) / static_cast<double>(frame_count));
  std::snprintf(buf, sizeof(buf), "frame %lld%s | step %lld | %.1f steps/s | loss %.4f | dropped %llu",
                static_cast<long long>(r.frame.index), progress, static_cast<long long>(r.step.step), r.steps_per_s,
                value_of(r.step, "loss"), static_cast<unsigned long long>(dropped));
  return buf;
}

}  // namespace

int run_command(const RunArgs& args) {
  RunConfig config = load_run_config(args.config, args.overrides);
  configure_torch_runtime(config.threads);
  torch::manual_seed(config.seed);
  const torch::Device device = resolve_device(config.device);
  const std::string run_dir = choose_run_folder(args.config, config.out, args.resume);
  fs::create_directories(run_dir);
  std::ofstream(fs::path(run_dir) / "config.yaml") << config.yaml;
  MetricsLog metrics((fs::path(run_dir) / "metrics.jsonl").string());
  if (config.model == "neartofar") return run_neartofar(args, config, device, run_dir, metrics);

  auto source = open_source(config.source, nullptr, FfmpegSourceOptions{config.decoder_threads});
  const SourceInfo info = source->info();
  spdlog::info("run {} -> {}", args.config, run_dir);
  spdlog::info("source {}: {}x{}x{}, {:.3g} fps, {} frames{}", info.description, info.width, info.height, info.channels,
               info.fps, info.frame_count >= 0 ? std::to_string(info.frame_count) : "unknown", info.live ? " (live)" : "");

  const auto learner = make_learner(config, info.channels, device);

  config.preprocess.device = device;
  TrainStageOptions train_options = config.train;
  train_options.run_dir = run_dir;
  train_options.config_yaml = config.yaml;

  Pipeline pipeline;
  auto& train = pipeline.add<TrainStage>("train", *learner, train_options, &metrics);
  std::int64_t skip = 0;
  if (args.resume) {
    const std::string checkpoint = CheckpointStore::resolve(run_dir);
    skip = train.resume(checkpoint);
    spdlog::info("resuming from {} (step {}), source frames before {} are skipped", checkpoint, train.steps(), skip);
  }
  auto warn = [&metrics](const std::string& message) {
    spdlog::warn("{}", message);
    metrics.write(JsonLine().add("event", "source_warning").add("message", message).str());
  };
  auto& source_stage = pipeline.add<SourceStage>("source", std::move(source), warn, skip);
  auto& preprocess = pipeline.add<PreprocessStage>("preprocess", config.preprocess);
  pipeline.connect(source_stage, preprocess, config.source_edge);
  pipeline.connect(preprocess, train, config.preprocess_edge);
  auto latest = pipeline.tap(train);

  std::string note;
  DisplayOptions display_options = parse_display(config.display, (fs::path(run_dir) / "display.avi").string(), &note);
  display_options.rows = config.model == "linearize" ? 3 : 2;  // input + 6 panels; input + 4
  DisplaySink display(display_options);
  if (!note.empty()) spdlog::info("{}", note);

  const std::int64_t first_step = train.steps();
  const DriveResult run = drive_pipeline(pipeline, *latest, display, config.report_every_s, metrics, [&](const TrainReport& r) {
    std::string status = status_text(r, info.frame_count, pipeline.dropped_total());
    display.show(r.panels, status);
    return status;
  });
  if (run.failed) return 1;
  const double seconds = run.seconds;
  const std::int64_t steps = train.steps() - first_step;
  spdlog::info("{} steps in {:.1f} s ({:.1f} steps/s), now at step {}, {} skipped as non-finite", steps, seconds,
               static_cast<double>(steps) / std::max(seconds, 1e-9), train.steps(), train.skipped_steps());
  if (train.last_checkpoint()) spdlog::info("checkpoint {}", *train.last_checkpoint());
  spdlog::info("metrics {}", metrics.path());
  if (display.options().mode == DisplayOptions::Mode::video) spdlog::info("live view {}", display.options().path);
  if (display.options().mode == DisplayOptions::Mode::png) spdlog::info("live view frames in {}", display.options().path);
  return run.aborted ? 130 : 0;
}

}  // namespace vidssl
