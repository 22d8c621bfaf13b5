#pragma once

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "apps/interrupt.h"
#include "pipeline/mailbox.h"
#include "pipeline/pipeline.h"
#include "stages/display_sink.h"
#include "stages/json_line.h"
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

// Starts `pipeline` and drives it from the main thread (where OpenCV windows must live) until it
// ends: each newer report on `latest` goes to `on_report`, which shows it and returns the status
// line; q/Esc in the window or a first Ctrl-C drains the pipeline (its stages checkpoint and
// flush), a second Ctrl-C cancels it; every `report_every_s` the status line goes to stderr and the
// stage reports to metrics.jsonl, and once more at the end. Every `vidssl run`, whatever its model,
// behaves alike this way.
//
//   auto r = drive_pipeline(pipeline, *pipeline.tap(train), display, 2.0, metrics,
//                           [&](const TrainReport& t) { display.show(t.panels, line(t)); return line(t); });
template <class Report, class OnReport>
DriveResult drive_pipeline(Pipeline& pipeline, Mailbox<Report>& latest, DisplaySink& display, double report_every_s,
                           MetricsLog& metrics, OnReport on_report) {
  install_interrupt_handler();
  const auto started = std::chrono::steady_clock::now();
  auto next_report = started + std::chrono::duration<double>(report_every_s);
  const bool tty = isatty(STDERR_FILENO);
  bool stopping = false;
  DriveResult result;
  std::uint64_t seen = 0;
  std::string status = "starting";
  pipeline.start();
  for (;;) {
    if (!latest.closed()) {
      if (auto report = latest.wait_newer(seen, std::chrono::milliseconds(50))) status = on_report(*report);
    } else if (pipeline.wait_for(std::chrono::milliseconds(100))) {
      break;
    }
    if (pipeline.wait_for(std::chrono::milliseconds(0)) && latest.closed()) break;
    if (display.quit_requested() && !stopping) {
      stopping = true;
      pipeline.request_stop();
    }
    if (interrupt_count() == 1 && !stopping) {
      stopping = true;
      spdlog::info("interrupted: draining, checkpointing and flushing (Ctrl-C again to abort)");
      pipeline.request_stop();
    } else if (interrupt_count() >= 2 && !result.aborted) {
      result.aborted = true;
      spdlog::warn("aborting without a final checkpoint");
      pipeline.cancel();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_report) {
      next_report = now + std::chrono::duration<double>(report_every_s);
      const double t = std::chrono::duration<double>(now - started).count();
      for (const auto& r : pipeline.reports()) metrics.write(stage_report_line(r, t));
      std::fprintf(stderr, tty ? "\r[%7.1fs] %s\x1b[K" : "[%7.1fs] %s\n", t, status.c_str());
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  try {
    pipeline.join();
  } catch (const StageError& e) {
    spdlog::error("{}", e.what());
    result.failed = true;
    return result;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& r : pipeline.reports()) metrics.write(stage_report_line(r, result.seconds));
  return result;
}

}  // namespace vidssl
