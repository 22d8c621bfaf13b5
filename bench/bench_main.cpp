#include <benchmark/benchmark.h>

#include "models/torch_runtime.h"

// Same process settings as the vidssl binary (all cores, malloc thresholds), so the figures match.
int main(int argc, char** argv) {
  vidssl::configure_torch_runtime();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
