#pragma once

#include <cstdint>
#include <string>

namespace vidssl {

// `vidssl eval --checkpoint DIR [--model NAME] --source PATH [--max-frames N]`: DIR is a checkpoint
// folder, a learner's folder or a run folder (its learner's newest checkpoint; --model picks one of
// a run that trained several). Prints one JSON object to stdout. `--gap G` evaluates at a time step
// of G frames: Model B's triplets are x^{t−G}, x^t, x^{t+G}, Model A's TCR compares f_t with f_{t+G}.
struct EvalArgs {
  std::string checkpoint;
  std::string model;
  std::string source;
  std::int64_t max_frames = -1;
  double scene_seconds = 2.0;   // temporal AUC: each clip cut into scenes of this length
  double scene_gap_seconds = 0; // temporal AUC: frames left out after each scene
  double min_gap_seconds = 2.0; // TCR: far frames are at least this far apart (or from another clip)
  double near_distance = 15.0;  // Model C: D_near, the farthest band that trains (m)
  std::int64_t gap = 1;         // Models A and B: frames apart (TCR's near pairs; Model B's triplets)
  std::string codes = "encoder";  // Model A: encoder | inferred (FISTA's codes of each frame)
  bool centered = false;        // Model A: the temporal AUC's cosine similarity of features less their mean
  std::string device = "auto";
};

int eval_command(const EvalArgs& args);

}  // namespace vidssl
