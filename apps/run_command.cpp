#include "apps/run_command.h"

#include <c10/util/Logging.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "apps/drive_pipeline.h"
#include "apps/learner_kinds.h"
#include "apps/run_folder.h"
#include "apps/run_graph.h"
#include "models/distributed/rank_env.h"
#include "models/distributed/rendezvous.h"
#include "models/torch_runtime.h"
#include "stages/config_reader.h"
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

// A rank's share of the source: `{rank}` in source.path names its own (a camera, a stream, a file
// per rank); a folder's clips are dealt out by rank; anything else every rank reads whole.
void shard_source(SourceOptions& source, int rank, int world_size) {
  if (const auto at = source.path.find("{rank}"); at != std::string::npos) {
    source.path.replace(at, 6, std::to_string(rank));
    return;
  }
  if (std::error_code error; fs::is_directory(source.path, error) && !fs::is_directory(fs::path(source.path) / "left", error)) {
    source.shard = rank;
    source.shards = world_size;
    return;
  }
  spdlog::warn("source.path {} is one input and every rank reads it whole: give each rank its own with {{rank}} in the path, or a folder",
               source.path);
}

// One run, one record: every other rank's final stage reports (its frames, throughput and drops)
// join rank 0's metrics.jsonl, tagged by rank. Rank 0 waits for them (at most dist.timeout: the
// others end at their next exchange after it), and they wait for rank 0 to have them, since its
// store goes when it exits.
void merge_final_reports(Rendezvous& rendezvous, const std::vector<std::string>& reports, MetricsLog& metrics) {
  if (rendezvous.rank() > 0) {
    std::string tagged;
    for (const auto& line : reports) tagged += "{\"rank\": " + std::to_string(rendezvous.rank()) + ", " + line.substr(1) + "\n";
    rendezvous.set("final reports " + std::to_string(rendezvous.rank()), tagged);
    rendezvous.get("final reports merged");
    return;
  }
  for (int r = 1; r < rendezvous.world_size(); ++r) {
    std::istringstream lines(rendezvous.get("final reports " + std::to_string(r)));
    for (std::string line; std::getline(lines, line);) metrics.write(line);
  }
  rendezvous.set("final reports merged", "yes");
}

}  // namespace

int run_command(const RunArgs& args) {
  RunConfig config = load_run_config(args.config, args.overrides, learner_kinds());
  configure_torch_runtime(config.threads);
  configure_cuda(config.cuda);
  const torch::Device device = resolve_device(config.device);

  // A rank of a data-parallel run (MASTER_ADDR, RANK, WORLD_SIZE set): it meets the others first,
  // reads its own share of the source, and works in the folder rank 0 chose.
  std::optional<RankEnv> rank_env;
  try {
    rank_env = read_rank_env(std::getenv);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("environment: ") + e.what());
  }
  std::unique_ptr<Rendezvous> rendezvous;
  if (rank_env && rank_env->world_size > 1) {
    const DistBackend backend = config.dist_backend.value_or(device.is_cuda() ? DistBackend::nccl : DistBackend::gloo);
    spdlog::info("rank {} of {}: meeting the others at {}:{} over {}", rank_env->rank, rank_env->world_size, rank_env->master_addr,
                 rank_env->master_port, to_string(backend));
    // c10d logs every failure it then throws (a glog line before ours, which already says it).
    FLAGS_caffe2_log_level = 3;  // fatal only
    c10::UpdateLoggingLevelsFromFlags();
    rendezvous = std::make_unique<Rendezvous>(*rank_env, backend, std::chrono::milliseconds(static_cast<std::int64_t>(config.dist_timeout_s * 1000)));
    shard_source(config.source, rank_env->rank, rank_env->world_size);
  }
  const int rank = rendezvous ? rendezvous->rank() : 0;
  std::string run_dir;
  if (rank == 0) {
    run_dir = choose_run_folder(args.config, config.out, args.resume);
    if (const std::string moved = prepare_run_folder(run_dir, args.resume, args.force); !moved.empty())
      spdlog::info("the run that was in {} is moved to {}", run_dir, moved);
    write_run_file((fs::path(run_dir) / "config.yaml").string(), config.yaml);
    if (rendezvous) rendezvous->set("run folder", run_dir);
  } else {
    run_dir = rendezvous->get("run folder");
  }
  // Rank 0 writes the run's checkpoints and its metrics (the steps' figures are the ranks' mean);
  // every other rank its own metrics, records and videos, under <run>/rank<r>.
  const std::string rank_dir = rank == 0 ? run_dir : (fs::path(run_dir) / ("rank" + std::to_string(rank))).string();
  fs::create_directories(rank_dir);
  if (rank > 0) config.display = "none";
  MetricsLog metrics((fs::path(rank_dir) / "metrics.jsonl").string());

  std::string note;
  DisplayOptions display_options = parse_display(config.display, (fs::path(run_dir) / "display.avi").string(), &note);
  RunGraphOptions graph_options;
  graph_options.run_dir = run_dir;
  graph_options.rank_dir = rank_dir;
  graph_options.rendezvous = rendezvous.get();
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
  if (rendezvous) merge_final_reports(*rendezvous, run.final_reports, metrics);
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
    if (const DataParallel* group = l.stage->data_parallel())
      spdlog::info("{}: rank {} of {}, {:.1f} KB all-reduced per step, {:.2f} s in exchanges ({:.0f} % of the run)", l.config->name,
                   group->rank(), group->world_size(), group->bytes_per_step() / 1024, group->exchange_seconds(),
                   100 * group->exchange_seconds() / std::max(run.seconds, 1e-9));
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
