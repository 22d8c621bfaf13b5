#pragma once

#include <cstdint>
#include <string>

#include "models/neartofar/near_to_far.h"

namespace vidssl {

// One line of <run>/neartofar/predictions.jsonl: what Model C saw and predicted on one frame, so
// that a robot's planner, a plot or a later evaluation can read every frame's traversability
// without rerunning the model. Keys:
//   frame, time (s, source clock), ms {stereo, plane, labels, bands, train, predict}, ms_total,
//   skipped (why training was skipped, or null), updates, loss,
//   plane {ok, camera_height, pitch, roll, inliers, reason},
//   classes [the five class names, the order of every "p"],
//   bands [{index, distance (m), windows [{azimuth (rad, + right), p [5 probabilities], label (name or null)}]}]
std::string prediction_record(std::int64_t frame, std::int64_t timestamp_us, const NearToFarResult& result);

}  // namespace vidssl
