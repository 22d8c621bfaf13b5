#include "apps/drive_pipeline.h"

namespace vidssl {

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

}  // namespace vidssl
