#pragma once

#include <string>

namespace vidssl {

// `vidssl bench [--only decode|preprocess|slow|linearize|pipeline|all] [--seconds S] [--threads N] [--device D]`:
// one JSON object per line, each naming what it measured (bench, model or models, width, height,
// filters, batch) with frames_per_s, ms_per_frame or steps_per_s.
struct BenchArgs {
  std::string only = "all";
  double seconds = 3.0;
  int threads = 0;              // LibTorch intra-op threads (per model thread in the pipeline); 0: all cores
  std::string device = "auto";
};

int bench_command(const BenchArgs& args);

}  // namespace vidssl
