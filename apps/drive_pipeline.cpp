#include "apps/drive_pipeline.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "apps/interrupt.h"
#include "models/training/json_line.h"

namespace vidssl {
namespace {

using Clock = std::chrono::steady_clock;

// The learners' status lines on stderr: rewritten in place on a terminal, appended otherwise.
class StatusPrinter {
 public:
  void print(double t, const std::vector<std::string>& lines) {
    if (!tty_) {
      for (const auto& line : lines) std::fprintf(stderr, "[%7.1fs] %s\n", t, line.c_str());
      return;
    }
    if (printed_ > 1) std::fprintf(stderr, "\x1b[%zuA", printed_ - 1);
    for (std::size_t i = 0; i < lines.size(); ++i)
      std::fprintf(stderr, "\r[%7.1fs] %s\x1b[K%s", t, lines[i].c_str(), i + 1 < lines.size() ? "\n" : "");
    printed_ = lines.size();
  }
  void end() {
    if (tty_ && printed_ > 0) std::fprintf(stderr, "\n");
  }

 private:
  bool tty_ = isatty(STDERR_FILENO);
  std::size_t printed_ = 0;
};

// A paced source this late is worth a line: a second is beyond any decoder's jitter.
constexpr double kBehindNoted_s = 1.0;

std::string behind_status(double behind_s, std::int64_t frames) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "source | %lld frames (%.1f s) behind the clock: models on block edges hold it back "
                "(drop_oldest edges keep a live source live)", static_cast<long long>(frames), behind_s);
  return buf;
}

// A live source with no frame for this long (or 2.5 frame periods, for a slower one) has lost its
// input: said on the status line and in metrics.jsonl.
constexpr double kLiveGapNoted_s = 1.0;

std::string gap_status(double gap_s, bool reconnecting) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "source | no frame for %.1f s: %s; the models wait for it", gap_s,
                reconnecting ? "reopening it" : "waiting in a read");
  return buf;
}

}  // namespace

std::string stage_report_line(const StageReport& r, double time_s) {
  return JsonLine()
      .add("time", time_s)
      .add("stage", r.stage)
      .add("items_in", r.items_in)
      .add("items_out", r.items_out)
      .add("items_per_s", r.items_per_s)
      .add("dropped", r.dropped)
      .add("queue_depth", static_cast<std::uint64_t>(r.queue_depth))
      .add("queue_capacity", static_cast<std::uint64_t>(r.queue_capacity))
      .add("p50_ms", r.p50_ms)
      .add("p99_ms", r.p99_ms)
      .str();
}

std::optional<double> newest_loss(const LearnerUpdate& update, std::optional<double> before) {
  for (auto step = update.steps.rbegin(); step != update.steps.rend(); ++step)
    for (const auto& [key, value] : step->values)
      if (key == "loss") return value;
  return before;
}

std::string learner_status(const LearnerReport& r, std::int64_t frame_count, std::optional<double> loss) {
  char progress[64] = "";
  if (frame_count > 0)
    std::snprintf(progress, sizeof(progress), "/%lld %3.0f%%", static_cast<long long>(frame_count),
                  100.0 * static_cast<double>(r.frame_index + 1) / static_cast<double>(frame_count));
  char loss_text[32] = "-";
  if (loss) std::snprintf(loss_text, sizeof(loss_text), "%.4f", *loss);
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s | frame %lld%s | step %lld | %.1f steps/s | loss %s | dropped %llu", r.learner.c_str(),
                static_cast<long long>(r.frame_index), progress, static_cast<long long>(r.steps), r.steps_per_s, loss_text,
                static_cast<unsigned long long>(r.dropped));
  std::string status = buf;
  if (!r.update.skipped.empty()) status += " | not trained: " + r.update.skipped;
  return status;
}

DriveResult drive_pipeline(RunGraph& graph, DisplaySink& display, const DriveOptions& options, MetricsLog& metrics) {
  install_interrupt_handler();
  Pipeline& pipeline = graph.pipeline;
  const auto started = Clock::now();
  const auto seconds = [](double s) { return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); };
  auto next_report = started + seconds(options.report_every_s);
  auto next_draw = started;
  const std::size_t n = graph.learners.size();
  std::vector<std::uint64_t> seen(n, 0);
  std::vector<std::string> status(n, "starting");
  std::vector<std::optional<double>> loss(n);
  for (std::size_t i = 0; i < n; ++i) status[i] = graph.learners[i].config->name + " | starting";
  std::uint64_t heard = 0;
  bool interrupted = false, stream_ended = false, changed = false;
  std::optional<Clock::time_point> stop_deadline;
  double gap_started_s = -1;  // run time when a live source's current gap began; -1: none
  const double gap_noted_s = std::max(kLiveGapNoted_s, graph.source.fps > 0 ? 2.5 / graph.source.fps : 0.0);
  StatusPrinter printer;
  DriveResult result;
  // A line the log cannot take (a full disk) is an error line here; the caller decides what it ends.
  const auto log_line = [&](const std::string& line) {
    try {
      metrics.write(line);
      return true;
    } catch (const std::runtime_error& e) {
      spdlog::error("{}", e.what());
      return false;
    }
  };
  // A live view that cannot be written (a full disk) is an error line; the run stops as for a
  // failed log line, and the models still take their final checkpoints if they can.
  const auto show = [&](const auto& now) {
    if (result.failed) return;
    try {
      display.show();
    } catch (const std::runtime_error& e) {
      spdlog::error("{}", e.what());
      result.failed = interrupted = true;
      pipeline.interrupt();
      if (!stop_deadline) stop_deadline = now + seconds(options.stop_timeout_s);
    }
  };
  pipeline.start();
  for (;;) {
    graph.bell->wait_for(heard, std::chrono::milliseconds(100));
    // Before reading, so the last reports are read too. Once the sources' streams were ended from
    // here, a source still blocked in its read does not hold the run.
    bool done = pipeline.wait_for(std::chrono::milliseconds(0));
    if (!done && (interrupted || stream_ended) && graph.source_stage) {
      const auto busy = pipeline.busy_stages();
      done = busy.size() == 1 && busy[0] == graph.source_stage->name();
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (auto report = graph.learners[i].latest->take_newer(seen[i])) {
        loss[i] = newest_loss(report->update, loss[i]);
        status[i] = learner_status(*report, graph.source.frame_count, loss[i]);
        display.update(i, report->panels, status[i]);
        changed = true;
      }
    }
    const auto now = Clock::now();
    if (changed && (now >= next_draw || done)) {
      show(now);
      changed = false;
      next_draw = now + std::chrono::milliseconds(100);
    }
    if (done || (stop_deadline && now >= *stop_deadline)) break;
    const bool quit = display.quit_requested();
    if ((quit || interrupt_count() == 1) && !interrupted) {
      interrupted = true;
      spdlog::info("{}: finishing the step in hand, checkpointing and flushing{}", quit ? "stopping" : "interrupted",
                   quit ? "" : " (Ctrl-C again to abort)");
      pipeline.interrupt();
      stop_deadline = now + seconds(options.stop_timeout_s);
    } else if (interrupt_count() >= 2 && !result.aborted) {
      result.aborted = true;
      spdlog::warn("aborting without a final checkpoint");
      pipeline.cancel();
      if (!stop_deadline) stop_deadline = now + seconds(options.stop_timeout_s);
    }
    // A live source's gap: noticed within kLiveGapNoted_s, logged once when it opens and once
    // when frames come again. The models wait rather than train on the replay buffer alone:
    // steps on the same few clips, minutes long, would fit them and not the scene that returns.
    if (graph.source_stage && graph.source.live && !interrupted) {
      const double gap = graph.source_stage->reading_for_s();
      if (gap > gap_noted_s && gap_started_s < 0) {
        gap_started_s = std::chrono::duration<double>(now - started).count() - gap;
        spdlog::warn("source {}: no frame for {:.1f} s{}", graph.source.description, gap,
                     graph.source_stage->reconnecting() ? ": reopening it" : "");
        log_line(JsonLine().add("time", gap_started_s + gap).add("event", "source_lost").add("seconds", gap).str());
      } else if (gap <= gap_noted_s && gap_started_s >= 0) {  // a new read began
        const double t = std::chrono::duration<double>(now - started).count();
        spdlog::info("source {}: frames again after {:.1f} s", graph.source.description, t - gap_started_s);
        log_line(JsonLine().add("time", t).add("event", "source_back").add("seconds", t - gap_started_s).str());
        gap_started_s = -1;
      }
    }
    if (!stream_ended && !interrupted && graph.source_stage &&
        graph.source_stage->stalled_for_s() > options.stall_timeout_s) {
      stream_ended = true;
      result.stalled = true;
      spdlog::error("source {}: no frame for {:.1f} s (source.stall_timeout): ending the run after the models' final checkpoints",
                    graph.source.description, options.stall_timeout_s);
      log_line(JsonLine().add("event", "source_stalled").add("seconds", options.stall_timeout_s).str());
      pipeline.end_sources();
    }
    if (now >= next_report) {
      next_report = now + seconds(options.report_every_s);
      const double t = std::chrono::duration<double>(now - started).count();
      for (const auto& r : pipeline.reports()) {
        if (log_line(stage_report_line(r, t))) continue;
        result.failed = true;  // a full disk: the models' own writes fail the same way
        pipeline.cancel();
        if (!stop_deadline) stop_deadline = now + seconds(options.stop_timeout_s);
        break;
      }
      std::vector<std::string> lines = status;
      if (gap_started_s >= 0 && graph.source_stage)
        lines.push_back(gap_status(graph.source_stage->reading_for_s(), graph.source_stage->reconnecting()));
      if (const double behind = graph.source_stage ? graph.source_stage->behind_s() : 0; behind > kBehindNoted_s) {
        const auto frames = static_cast<std::int64_t>(std::llround(behind * graph.source.fps));
        lines.push_back(behind_status(behind, frames));
        log_line(JsonLine().add("time", t).add("event", "source_behind").add("seconds", behind).add("frames", frames).str());
      }
      printer.print(t, lines);
    }
  }
  printer.print(std::chrono::duration<double>(Clock::now() - started).count(), status);
  printer.end();
  std::vector<std::string> left;
  try {
    // Everything has returned unless the stop's time is up; then those still busy are left.
    left = pipeline.join_until(Clock::now());
  } catch (const StageError& e) {
    spdlog::error("{}", e.what());
    result.failed = true;
    return result;
  }
  for (const auto& stage : left) {
    if (graph.source_stage && stage == graph.source_stage->name()) {
      spdlog::info("source {} is still blocked in a read: left behind", graph.source.description);
      continue;
    }
    spdlog::error("stage '{}' was still busy {:.1f} s after the stop (run.stop_timeout): left behind without its final checkpoint",
                  stage, options.stop_timeout_s);
    result.left_behind.push_back(stage);
  }
  try {
    display.close();
  } catch (const std::runtime_error& e) {
    spdlog::error("{}", e.what());
    result.failed = true;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (const auto& r : pipeline.reports()) {
    result.final_reports.push_back(stage_report_line(r, result.seconds));
    if (log_line(result.final_reports.back())) continue;
    result.failed = true;
    break;
  }
  return result;
}

}  // namespace vidssl
