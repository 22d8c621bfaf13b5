#include "apps/run_command.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "apps/drive_pipeline.h"
#include "apps/learner_kinds.h"
#include "apps/run_folder.h"
#include "apps/run_graph.h"
#include "models/torch_runtime.h"
#include "stages/display_sink.h"
#include "stages/metrics_log.h"
#include "stages/run_config.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

// The bytes a checkpoint of the learner's state takes now: its tensors and optimizer state.
std::uint64_t checkpoint_size(Learner& learner) {
  CheckpointData data;
  learner.save(data);
  std::uint64_t bytes = data.optimizer.size() + data.config.size();
  for (const auto* tensors : {&data.weights, &data.state})
    for (const auto& [key, tensor] : *tensors) bytes += static_cast<std::uint64_t>(tensor.nbytes()) + key.size();
  return bytes;
}

}  // namespace

int run_command(const RunArgs& args) {
  const RunConfig config = load_run_config(args.config, args.overrides, learner_kinds());
  configure_torch_runtime(config.threads);
  configure_cuda(config.cuda);
  const torch::Device device = resolve_device(config.device);
  const std::string run_dir = choose_run_folder(args.config, config.out, args.resume);
  if (const std::string moved = prepare_run_folder(run_dir, args.resume, args.force); !moved.empty())
    spdlog::info("the run that was in {} is moved to {}", run_dir, moved);
  write_run_file((fs::path(run_dir) / "config.yaml").string(), config.yaml);
  MetricsLog metrics((fs::path(run_dir) / "metrics.jsonl").string());

  std::string note;
  DisplayOptions display_options = parse_display(config.display, (fs::path(run_dir) / "display.avi").string(), &note);
  RunGraphOptions graph_options;
  graph_options.run_dir = run_dir;
  graph_options.device = device;
  graph_options.resume = args.resume;
  graph_options.panel_interval_s = display_options.mode == DisplayOptions::Mode::none ? -1 : 0.1;
  graph_options.metrics = &metrics;
  const auto graph = build_run_graph(config, learner_kinds(), graph_options);
  // A first checkpoint of every learner, measured on its starting state (a replay buffer fills as
  // the run goes on: later checkpoints are larger, and each failed one keeps the previous).
  std::uint64_t checkpoint_bytes = 0;
  for (const auto& l : graph->learners) checkpoint_bytes += checkpoint_size(*l.learner);
  check_room_for_checkpoints(run_dir, checkpoint_bytes);
  spdlog::info("run {} -> {}", args.config, run_dir);
  for (const auto& l : graph->learners) {
    PanelLayout layout = l.learner->panel_layout();
    if (layout.aspect <= 0) layout.aspect = static_cast<double>(graph->source.height) / std::max(1, graph->source.width);
    display_options.sections.push_back({l.config->name, layout});
  }
  DisplaySink display(display_options);
  if (!note.empty()) spdlog::info("{}", note);

  std::vector<std::int64_t> first_steps;
  for (const auto& l : graph->learners) first_steps.push_back(l.stage->steps());
  DriveOptions drive;
  drive.report_every_s = config.report_every_s;
  drive.stall_timeout_s = config.stall_timeout_s;
  drive.stop_timeout_s = config.stop_timeout_s;
  const DriveResult run = drive_pipeline(*graph, display, drive, metrics);
  if (run.failed) return 1;
  if (!run.left_behind.empty()) {
    // A stage left behind still runs on its thread and uses the learners, the log and the
    // display; tearing them down under it could crash. What was written is flushed; end here.
    spdlog::shutdown();
    std::fflush(nullptr);
    std::_Exit(1);
  }
  for (std::size_t i = 0; i < graph->learners.size(); ++i) {
    const RunLearner& l = graph->learners[i];
    const std::int64_t steps = l.stage->steps() - first_steps[i];
    spdlog::info("{}: {} frames, {} steps in {:.1f} s ({:.1f} steps/s), now at step {}, {} skipped as non-finite", l.config->name,
                 l.stage->frames(), steps, run.seconds, static_cast<double>(steps) / std::max(run.seconds, 1e-9), l.stage->steps(),
                 l.stage->skipped_steps());
    if (l.stage->last_checkpoint()) spdlog::info("{}: checkpoint {}", l.config->name, *l.stage->last_checkpoint());
    if (fs::exists(l.stage->records_path())) spdlog::info("{}: predictions {}", l.config->name, l.stage->records_path());
    if (l.video)
      for (const auto& path : l.video->paths()) spdlog::info("{}: video {}", l.config->name, path);
  }
  spdlog::info("metrics {}", metrics.path());
  if (display.options().mode == DisplayOptions::Mode::video) spdlog::info("live view {}", display.options().path);
  if (display.options().mode == DisplayOptions::Mode::png) spdlog::info("live view frames in {}", display.options().path);
  if (run.aborted) return 130;
  return run.stalled ? 1 : 0;
}

}  // namespace vidssl
