#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/clock.h"
#include "stages/frame_pacer.h"
#include "stages/frame_source.h"

namespace vidssl {

enum class SyntheticKind { sprites, gratings };

// Every random draw is per clip, from `seed` and the clip number: clip k looks the same whatever
// was read before it, on any machine (own generator, no std:: distributions, whose output the
// standard leaves to the library).
struct SyntheticOptions {
  SyntheticKind kind = SyntheticKind::sprites;
  int width = 64;
  int height = 64;
  int num_sprites = 3;
  int sprite_size = 12;          // side of a square sprite at scale 1, px
  double min_speed = 0.5;        // px/frame: sprites' speed, gratings' drift across their stripes
  double max_speed = 2.0;
  bool wrap = false;             // sprites: bounce off the borders (false) or wrap around (true)
  double max_rotation = 0.0;     // rad/frame; each clip draws a rate in [−max, max] per object
  double max_scale_rate = 0.0;   // relative size change per frame, drawn in [−max, max]; the size
                                 // turns back at 0.5× and 2× its start, so long clips stay sane
  double min_period = 8;         // gratings: wavelength at the start of a clip, px
  double max_period = 24;
  int frames_per_clip = 32;
  int num_clips = 4;             // <= 0: endless
  double fps = 30;               // timestamps and --realtime pacing
  std::uint64_t seed = 0;
  double noise_std = 0.0;        // Gaussian pixel noise, grey levels (0–255 scale)
};

// Pixel coordinates: pixel (i, j) has its centre at x = j, y = i. Rates are per frame and say how
// the next frame differs from this one.
struct SpriteTruth {
  double x = 0, y = 0;            // centre
  double vx = 0, vy = 0;          // px/frame (sign flips at a bounce)
  double angle = 0;               // rad
  double angular_velocity = 0;    // rad/frame
  double scale = 1;               // side = sprite_size × scale
  double scale_rate = 0;          // scale_{k+1} = scale_k × (1 + scale_rate)
};

struct GratingTruth {
  double angle = 0;               // direction of the stripes' normal, rad
  double angular_velocity = 0;    // rad/frame, about the image centre
  double period = 16;             // wavelength, px
  double scale_rate = 0;          // period_{k+1} = period_k × (1 + scale_rate)
  double phase = 0;               // offset along the normal, px
  double speed = 0;               // px/frame along the normal
};

struct SyntheticTruth {
  std::int32_t clip_id = 0;
  std::int64_t clip_frame = -1;
  std::vector<SpriteTruth> sprites;  // kind sprites, drawn in this order (later on top)
  GratingTruth grating;              // kind gratings
};

// Video with known motion, for tests that must know what a model should have learned: moving
// textured squares or drifting, rotating, zooming sinusoidal gratings, each clip with new
// objects. Grey on a mid-grey background; channels = 3 adds neutral chroma.
//
//   SyntheticSource source({.kind = SyntheticKind::sprites, .num_clips = 2, .seed = 7});
//   Frame frame;
//   while (source.read(frame)) check(frame.image, source.truth().sprites);
class SyntheticSource final : public FrameSource {
 public:
  // source.width/height, when set, replace synthetic.width/height (one alone keeps their aspect
  // ratio); the scene is drawn at that size, so source.fit has nothing to do. source.path is only a label.
  explicit SyntheticSource(SyntheticOptions synthetic, SourceOptions source = {}, Clock* clock = nullptr);

  bool read(Frame& frame) override;
  const SourceInfo& info() const override { return info_; }
  // The state shown by the last frame read.
  const SyntheticTruth& truth() const { return truth_; }

 private:
  void start_clip(std::int32_t clip_id);
  void advance();
  torch::Tensor render();

  SyntheticOptions synthetic_;
  SourceOptions source_;
  SourceInfo info_;
  FramePacer pacer_;
  SyntheticTruth truth_;
  std::vector<std::vector<float>> textures_;  // per sprite, kTextureGrid² grey levels
  std::vector<float> canvas_;
  std::uint64_t noise_state_ = 0;
  double first_period_ = 1;
  std::int64_t delivered_ = 0;
};

// "synthetic:sprites" or "synthetic:gratings" → default options of that kind; throws SourceError
// naming the accepted forms otherwise.
SyntheticOptions synthetic_options_from_path(const std::string& path);

}  // namespace vidssl
