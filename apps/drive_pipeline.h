#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/run_graph.h"
#include "pipeline/stage_stats.h"
#include "stages/display_sink.h"
#include "stages/metrics_log.h"

namespace vidssl {

// How a run is driven (RunConfig's keys of the same meaning).
struct DriveOptions {
  double report_every_s = 2.0;   // run.report_every
  double stall_timeout_s = 5.0;  // source.stall_timeout
  double stop_timeout_s = 2.0;   // run.stop_timeout
};

// How a driven run ended.
struct DriveResult {
  bool failed = false;   // a stage threw (logged); the exit status is 1
  bool stalled = false;  // the source stalled (logged); the models checkpointed; the exit status is 1
  bool aborted = false;  // a second Ctrl-C cancelled the run; the exit status is 130
  // Stages other than the source still busy when the stop's time was up (logged): their threads
  // run on detached, their final checkpoints are not written; the exit status is 1.
  std::vector<std::string> left_behind;
  double seconds = 0;    // from start to join
  std::vector<std::string> final_reports;  // every stage's report at the end, as metrics.jsonl lines
};

// One stage report as a metrics.jsonl line.
std::string stage_report_line(const StageReport& r, double time_s);

// The loss of the newest step in `update`, or `before` when the frame made none: a live learner
// gets many such frames (after a dropped frame its clip fills again before it trains), and its
// status line keeps the last loss rather than show none (NaN) while it trains well.
std::optional<double> newest_loss(const LearnerUpdate& update, std::optional<double> before);

// A learner's status line: "slow | frame 240/795 30% | step 239 | 21.3 steps/s | loss 0.2311 | dropped 0"
// (dropped: frames of the stream it never got; and why the frame did not train, when it said);
// "loss -" before its first step.
std::string learner_status(const LearnerReport& r, std::int64_t frame_count, std::optional<double> loss);

// Starts the run's pipeline and drives it from the main thread (where OpenCV windows must live)
// until it ends: whenever a learner reports, its panels and status line go to the display, which
// is redrawn at most ten times a second; every `report_every_s` the learners' status lines go to
// stderr and the stage reports to metrics.jsonl, and both once more at the end.
//
// Stopping never waits on a blocked read: q/Esc or a first SIGINT, SIGTERM or SIGHUP interrupts the
// pipeline (every model finishes its step in hand and checkpoints) and the run ends within
// `stop_timeout_s` whatever a stage is blocked on; a second signal cancels it (no checkpoints). A
// source that stays inside one read for `stall_timeout_s` has its stream ended from here: the
// models train on what is queued, checkpoint, and the run ends as an error naming the source.
DriveResult drive_pipeline(RunGraph& graph, DisplaySink& display, const DriveOptions& options, MetricsLog& metrics);

}  // namespace vidssl
