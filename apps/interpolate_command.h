#pragma once

#include <cstdint>
#include <string>

namespace vidssl {

// `vidssl interpolate --checkpoint DIR [--model NAME] --source PATH [--out DIR] [--every N] [--max-frames N]`:
// for a Model B checkpoint, writes a PNG strip for every N-th held-out triplet (x^{t−1} |
// cross-fade | feature-space x̃^t | x̃^t with the residual carried | true x^t | x^{t+1}, and below
// it the codes decoded along the straight path at t = 0, ½, …, 3) and prints one JSON object with
// the PSNRs of `vidssl eval`.
// `--gap G` takes the triplets G frames apart.
struct InterpolateArgs {
  std::string checkpoint;
  std::string model;
  std::string source;
  std::string out;              // default: <run folder>/<learner>/interpolate
  std::int64_t every = 10;
  std::int64_t max_frames = -1;
  std::int64_t gap = 1;         // triplets x^{t−gap}, x^t, x^{t+gap}
  std::string device = "auto";
};

int interpolate_command(const InterpolateArgs& args);

}  // namespace vidssl
