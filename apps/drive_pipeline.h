#pragma once

#include <cstdint>
#include <string>

#include "apps/run_graph.h"
#include "pipeline/stage_stats.h"
#include "stages/display_sink.h"
#include "stages/metrics_log.h"

namespace vidssl {

// How a driven run ended.
struct DriveResult {
  bool failed = false;   // a stage threw (logged); the exit status is 1
  bool aborted = false;  // a second Ctrl-C cancelled the run; the exit status is 130
  double seconds = 0;    // from start to join
};

// One stage report as a metrics.jsonl line.
std::string stage_report_line(const StageReport& r, double time_s);

// A learner's status line: "slow | frame 240/795 30% | step 239 | 21.3 steps/s | loss 0.2311 | dropped 0"
// (dropped: frames of the stream it never got; and why the frame did not train, when it said).
std::string learner_status(const LearnerReport& r, std::int64_t frame_count);

// Starts the run's pipeline and drives it from the main thread (where OpenCV windows must live)
// until it ends: whenever a learner reports, its panels and status line go to the display, which
// is redrawn at most ten times a second; q/Esc in the window or a first Ctrl-C (SIGINT, SIGTERM)
// drains the pipeline (its learners checkpoint and flush), a second one cancels it; every
// `report_every_s` the learners' status lines go to stderr and the stage reports to metrics.jsonl,
// and both once more at the end.
DriveResult drive_pipeline(RunGraph& graph, DisplaySink& display, double report_every_s, MetricsLog& metrics);

}  // namespace vidssl
