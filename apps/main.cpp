// vidssl: learns visual features from live video, online, while it watches.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "apps/bench_command.h"
#include "apps/eval_command.h"
#include "apps/interpolate_command.h"
#include "apps/launch_command.h"
#include "apps/plot_command.h"
#include "apps/probe_command.h"
#include "apps/run_command.h"
#include "models/torch_runtime.h"
#include "stages/config_reader.h"

int main(int argc, char** argv) {
  // Logs and status go to stderr; stdout carries only results (eval's and bench's JSON).
  spdlog::set_default_logger(spdlog::stderr_color_mt("vidssl"));
  spdlog::set_pattern("[%H:%M:%S.%e] %^%l%$ %v");
  CLI::App app{"vidssl: learn visual features from live video, online, while it watches"};
  app.require_subcommand(1);

  vidssl::RunArgs run;
  std::int64_t max_frames = -1;
  std::string out, device, display;
  auto* run_cmd = app.add_subcommand("run", "train the config's models online from one video source (see configs/README.md)");
  run_cmd->add_option("config", run.config, "YAML config, e.g. configs/clip-slow.yaml")->required();
  run_cmd->add_option("--set", run.overrides, "override a config key: --set models.slow.alpha=0.3 (repeatable)");
  run_cmd->add_option("--max-frames", max_frames, "stop after N source frames (source.max_frames)");
  run_cmd->add_option("--out", out, "run folder (run.out); default runs/<config>-<time>");
  run_cmd->add_option("--device", device, "auto, cpu, cuda or cuda:N (run.device)");
  run_cmd->add_option("--display", display, "window, none, video:FILE or png:DIR (run.display)");
  auto* resume_flag =
      run_cmd->add_flag("--resume", run.resume, "continue the run folder: every learner from its newest checkpoint that loads");
  run_cmd->add_flag("--force", run.force, "start a new run in a folder that holds one, moving the old run to FOLDER.replaced-<time>")
      ->excludes(resume_flag);

  vidssl::LaunchArgs launch;
  auto* launch_cmd = app.add_subcommand("launch", "a data-parallel run of N ranks on this machine: vidssl launch -n 2 CONFIG [run flags]");
  launch_cmd->add_option("-n,--ranks", launch.ranks, "ranks (processes) to start (default 2)");
  launch_cmd->add_option("--port", launch.port, "the store's port (default: a free one)");
  // The config and everything after it are vidssl run's: vidssl launch -n 2 configs/clip-slow.yaml --max-frames 100
  launch_cmd->prefix_command();

  vidssl::EvalArgs eval;
  auto* eval_cmd = app.add_subcommand("eval", "evaluate a checkpoint on held-out video; prints one JSON object");
  eval_cmd->add_option("--checkpoint", eval.checkpoint, "checkpoint folder, a learner's folder, or a run folder (its newest checkpoint)")->required();
  eval_cmd->add_option("--model", eval.model, "the learner of a run that trained several (its name under models:)");
  eval_cmd->add_option("--source", eval.source, "video file, folder or Y4M to evaluate on")->required();
  eval_cmd->add_option("--max-frames", eval.max_frames, "use at most N frames");
  eval_cmd->add_option("--scene-seconds", eval.scene_seconds, "temporal AUC: scene length (default 2)")->check(CLI::PositiveNumber);
  eval_cmd->add_option("--scene-gap", eval.scene_gap_seconds, "temporal AUC: seconds left out after each scene (default 0)")
      ->check(CLI::NonNegativeNumber);
  eval_cmd->add_option("--gap", eval.gap, "Models A and B: evaluate at a time step of N frames (default 1)")->check(CLI::Range(1, 1000));
  eval_cmd->add_option("--codes", eval.codes, "Model A: score the encoder's codes or FISTA's sparse codes of each frame (default encoder)")
      ->check(CLI::IsMember({"encoder", "inferred"}));
  eval_cmd->add_flag("--center", eval.centered,
                     "Model A: the temporal AUC's similarity between features less the held-out frames' mean (fewer hubs)");
  eval_cmd->add_option("--near", eval.near_distance, "Model C: train on bands nearer than this, score beyond it (m, default 15)");
  eval_cmd->add_option("--device", eval.device, "auto, cpu, cuda or cuda:N");

  vidssl::BenchArgs bench;
  vidssl::InterpolateArgs interpolate;
  auto* interpolate_cmd = app.add_subcommand("interpolate", "Model B: PNG strips of feature-space interpolation; prints one JSON object");
  interpolate_cmd->add_option("--checkpoint", interpolate.checkpoint, "Model B checkpoint folder, its learner's folder, or its run folder")->required();
  interpolate_cmd->add_option("--model", interpolate.model, "the Model B learner of a run that trained several");
  interpolate_cmd->add_option("--source", interpolate.source, "held-out video file, folder or Y4M")->required();
  interpolate_cmd->add_option("--out", interpolate.out, "folder for the strips (default RUN/<learner>/interpolate)");
  interpolate_cmd->add_option("--every", interpolate.every, "a strip for every N-th triplet (default 10)");
  interpolate_cmd->add_option("--max-frames", interpolate.max_frames, "use at most N frames");
  interpolate_cmd->add_option("--gap", interpolate.gap, "triplets x(t-N), x(t), x(t+N) (default 1)")->check(CLI::Range(1, 1000));
  interpolate_cmd->add_option("--device", interpolate.device, "auto, cpu, cuda or cuda:N");

  auto* bench_cmd = app.add_subcommand("bench", "measure decode, preprocessing and training speed; prints JSON lines");
  bench_cmd->add_option("--only", bench.only, "decode, preprocess, slow, linearize, pipeline or all (default)");
  bench_cmd->add_option("--seconds", bench.seconds, "time per measurement (default 3)");
  bench_cmd->add_option("--device", bench.device, "auto, cpu, cuda or cuda:N");
  bench_cmd->add_option("--threads", bench.threads, "LibTorch threads, per model thread in the pipeline (default: all cores)");

  std::string plot_run, plot_out;
  auto* plot_cmd = app.add_subcommand("plot", "draw the loss and metric curves of a run folder to PNG");
  plot_cmd->add_option("run", plot_run, "run folder")->required();
  plot_cmd->add_option("--out", plot_out, "PNG file (default RUN/curves.png)");

  std::string probe_source;
  std::vector<std::string> probe_overrides;
  auto* probe_cmd = app.add_subcommand("probe", "print what a source delivers, one JSON object per clip");
  probe_cmd->add_option("source", probe_source, "video file, folder of clips, stereo folder, Y4M, lavfi:, v4l2:, synthetic:")->required();
  probe_cmd->add_option("--set", probe_overrides, "a source key as a run would have it: --set source.fit=pad (repeatable)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  try {
    if (*run_cmd) {
      if (max_frames >= 0) run.overrides.push_back("source.max_frames=" + std::to_string(max_frames));
      if (!out.empty()) run.overrides.push_back("run.out=" + out);
      if (!device.empty()) run.overrides.push_back("run.device=" + device);
      if (!display.empty()) run.overrides.push_back("run.display=" + display);
      return vidssl::run_command(run);
    }
    if (*launch_cmd) {
      for (const auto& extra : launch_cmd->remaining()) launch.run_args.push_back(extra);
      return vidssl::launch_command(launch);
    }
    if (*eval_cmd) return vidssl::eval_command(eval);
    if (*interpolate_cmd) return vidssl::interpolate_command(interpolate);
    if (*bench_cmd) return vidssl::bench_command(bench);
    if (*plot_cmd) return vidssl::plot_command(plot_run, plot_out);
    if (*probe_cmd) return vidssl::probe_command(probe_source, probe_overrides);
  } catch (const vidssl::ConfigError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", vidssl::error_message(e).c_str());
    return 1;
  }
  return 0;
}
