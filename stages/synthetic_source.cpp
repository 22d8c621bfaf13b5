#include "stages/synthetic_source.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "models/split_mix64.h"
#include "stages/source_geometry.h"

namespace vidssl {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kTextureGrid = 4;        // a sprite's texture: 4×4 grey levels, bilinearly smooth
constexpr float kBackground = 128.0f;
constexpr double kGratingAmplitude = 100.0;
constexpr double kMinScale = 0.5, kMaxScale = 2.0;

std::uint64_t clip_seed(std::uint64_t seed, std::int32_t clip_id, std::uint64_t stream) {
  SplitMix64 mix(seed ^ (0xD1B54A32D192ED03ULL * (static_cast<std::uint64_t>(clip_id) + 1)) ^ (stream << 56));
  return mix.next();
}

// Keeps a centre inside [lo, hi] by reflecting it (and its velocity) at the borders.
void bounce(double& position, double& velocity, double lo, double hi) {
  if (hi <= lo) {
    position = 0.5 * (lo + hi);
    return;
  }
  for (int i = 0; i < 4 && (position < lo || position > hi); ++i) {
    if (position < lo) {
      position = 2 * lo - position;
      velocity = std::abs(velocity);
    } else {
      position = 2 * hi - position;
      velocity = -std::abs(velocity);
    }
  }
  position = std::clamp(position, lo, hi);
}

// Multiplies by (1 + rate), turning the rate around when the value leaves [lo, hi].
void grow(double& value, double& rate, double lo, double hi) {
  value *= 1 + rate;
  if ((value > hi && rate > 0) || (value < lo && rate < 0)) rate = -rate;
}

// Half the extent of a rotated square along x (and y): bouncing on it keeps every corner inside.
double half_extent(double side, double angle) { return 0.5 * side * (std::abs(std::cos(angle)) + std::abs(std::sin(angle))); }

double wrap_into(double value, double size) {
  value = std::fmod(value, size);
  return value < 0 ? value + size : value;
}

float sample_texture(const std::vector<float>& texture, double gx, double gy) {
  gx = std::clamp(gx, 0.0, kTextureGrid - 1.0);
  gy = std::clamp(gy, 0.0, kTextureGrid - 1.0);
  const int x0 = std::min(static_cast<int>(gx), kTextureGrid - 2), y0 = std::min(static_cast<int>(gy), kTextureGrid - 2);
  const double fx = gx - x0, fy = gy - y0;
  const auto at = [&](int y, int x) { return static_cast<double>(texture[y * kTextureGrid + x]); };
  return static_cast<float>((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                            fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)));
}

}  // namespace

SyntheticSource::SyntheticSource(SyntheticOptions synthetic, SourceOptions source, Clock* clock)
    : synthetic_(synthetic), source_(std::move(source)), pacer_(clock) {
  if (source_.path.empty()) source_.path = synthetic_.kind == SyntheticKind::sprites ? "synthetic:sprites" : "synthetic:gratings";
  check_source_options(source_);
  const OutputSize size = output_size(source_, synthetic_.width, synthetic_.height);
  synthetic_.width = size.width;
  synthetic_.height = size.height;
  const auto expect = [&](bool ok, const std::string& what) {
    if (!ok) throw SourceError(source_.path + ": expected " + what);
  };
  expect(synthetic_.width >= 1 && synthetic_.height >= 1, "a positive width and height");
  expect(synthetic_.num_sprites >= 0 && synthetic_.sprite_size >= 1, "num_sprites >= 0 and sprite_size >= 1");
  expect(synthetic_.min_speed >= 0 && synthetic_.max_speed >= synthetic_.min_speed, "0 <= min_speed <= max_speed");
  expect(synthetic_.min_period > 0 && synthetic_.max_period >= synthetic_.min_period, "0 < min_period <= max_period");
  expect(synthetic_.frames_per_clip >= 1, "frames_per_clip >= 1");
  expect(synthetic_.fps > 0, "fps > 0");
  expect(synthetic_.noise_std >= 0 && synthetic_.max_rotation >= 0 && synthetic_.max_scale_rate >= 0,
         "noise_std, max_rotation and max_scale_rate >= 0");

  info_.description = source_.path + " (seed " + std::to_string(synthetic_.seed) + ")";
  info_.width = synthetic_.width;
  info_.height = synthetic_.height;
  info_.channels = source_.channels;
  info_.fps = synthetic_.fps;
  info_.frame_count = synthetic_.num_clips > 0 ? std::int64_t{synthetic_.num_clips} * synthetic_.frames_per_clip : -1;
  if (source_.max_frames >= 0)
    info_.frame_count = info_.frame_count < 0 ? source_.max_frames : std::min(info_.frame_count, source_.max_frames);
  info_.live = false;
  canvas_.resize(static_cast<std::size_t>(synthetic_.width) * synthetic_.height);
  truth_.clip_id = -1;
}

void SyntheticSource::start_clip(std::int32_t clip_id) {
  SplitMix64 random(clip_seed(synthetic_.seed, clip_id, 0));
  noise_state_ = clip_seed(synthetic_.seed, clip_id, 1);
  truth_ = SyntheticTruth{};
  truth_.clip_id = clip_id;
  const auto speed_and_direction = [&](double& vx, double& vy) {
    const double speed = random.uniform(synthetic_.min_speed, synthetic_.max_speed);
    const double direction = random.uniform(0, 2 * kPi);
    vx = speed * std::cos(direction);
    vy = speed * std::sin(direction);
  };
  const double w = synthetic_.width, h = synthetic_.height;
  if (synthetic_.kind == SyntheticKind::sprites) {
    textures_.assign(synthetic_.num_sprites, std::vector<float>(kTextureGrid * kTextureGrid));
    for (int s = 0; s < synthetic_.num_sprites; ++s) {
      SpriteTruth sprite;
      speed_and_direction(sprite.vx, sprite.vy);
      sprite.angle = random.uniform(0, 2 * kPi);
      // Bouncing sprites start wholly inside the frame; wrapping ones anywhere.
      if (synthetic_.wrap) {
        sprite.x = random.uniform(0, w);
        sprite.y = random.uniform(0, h);
      } else {
        const double half = half_extent(synthetic_.sprite_size, sprite.angle);
        const double margin = std::min(half - 0.5, 0.5 * (std::min(w, h) - 1));
        sprite.x = random.uniform(margin, w - 1 - margin);
        sprite.y = random.uniform(margin, h - 1 - margin);
      }
      sprite.angular_velocity = random.uniform(-synthetic_.max_rotation, synthetic_.max_rotation);
      sprite.scale_rate = random.uniform(-synthetic_.max_scale_rate, synthetic_.max_scale_rate);
      // Texture levels away from the background, so every sprite has edges as well as inner detail.
      for (float& level : textures_[s]) {
        level = static_cast<float>(random.uniform(0, 1) < 0.5 ? random.uniform(16, 96) : random.uniform(160, 240));
      }
      truth_.sprites.push_back(sprite);
    }
  } else {
    GratingTruth& g = truth_.grating;
    g.angle = random.uniform(0, 2 * kPi);
    g.angular_velocity = random.uniform(-synthetic_.max_rotation, synthetic_.max_rotation);
    g.period = random.uniform(synthetic_.min_period, synthetic_.max_period);
    g.scale_rate = random.uniform(-synthetic_.max_scale_rate, synthetic_.max_scale_rate);
    g.phase = random.uniform(0, g.period);
    g.speed = random.uniform(synthetic_.min_speed, synthetic_.max_speed) * (random.uniform() < 0.5 ? -1 : 1);
    first_period_ = g.period;
  }
}

void SyntheticSource::advance() {
  ++truth_.clip_frame;
  const double w = synthetic_.width, h = synthetic_.height;
  for (SpriteTruth& s : truth_.sprites) {
    s.x += s.vx;
    s.y += s.vy;
    s.angle += s.angular_velocity;
    grow(s.scale, s.scale_rate, kMinScale, kMaxScale);
    if (synthetic_.wrap) {
      s.x = wrap_into(s.x, w);
      s.y = wrap_into(s.y, h);
    } else {
      const double half = half_extent(synthetic_.sprite_size * s.scale, s.angle);
      bounce(s.x, s.vx, half - 0.5, w - 0.5 - half);
      bounce(s.y, s.vy, half - 0.5, h - 0.5 - half);
    }
  }
  GratingTruth& g = truth_.grating;
  g.phase += g.speed;
  g.angle += g.angular_velocity;
  grow(g.period, g.scale_rate, kMinScale * first_period_, kMaxScale * first_period_);
}

bool SyntheticSource::read(Frame& frame) {
  if (source_.max_frames >= 0 && delivered_ >= source_.max_frames) return false;
  const bool new_clip = truth_.clip_id < 0 || truth_.clip_frame + 1 >= synthetic_.frames_per_clip;
  if (new_clip) {
    const std::int32_t next = truth_.clip_id + 1;
    if (synthetic_.num_clips > 0 && next >= synthetic_.num_clips) return false;
    start_clip(next);
    pacer_.start();
    ++truth_.clip_frame;  // frame 0 shows the clip's starting state
  } else {
    advance();
  }
  frame.index = delivered_++;
  frame.clip_id = truth_.clip_id;
  frame.clip_frame = truth_.clip_frame;
  frame.source_id = 0;
  frame.timestamp_us = static_cast<std::int64_t>(std::llround(truth_.clip_frame * 1e6 / synthetic_.fps));
  frame.image = render();
  frame.right = torch::Tensor();
  if (source_.realtime) pacer_.wait(frame.timestamp_us);
  return true;
}

torch::Tensor SyntheticSource::render() {
  const int w = synthetic_.width, h = synthetic_.height;
  if (synthetic_.kind == SyntheticKind::gratings) {
    const GratingTruth& g = truth_.grating;
    const double c = std::cos(g.angle), s = std::sin(g.angle), k = 2 * kPi / g.period;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double along = (x - 0.5 * (w - 1)) * c + (y - 0.5 * (h - 1)) * s;
        canvas_[y * w + x] = static_cast<float>(kBackground + kGratingAmplitude * std::sin(k * (along - g.phase)));
      }
  } else {
    std::fill(canvas_.begin(), canvas_.end(), kBackground);
    for (std::size_t i = 0; i < truth_.sprites.size(); ++i) {
      const SpriteTruth& sprite = truth_.sprites[i];
      const double half = 0.5 * synthetic_.sprite_size * sprite.scale;
      const double reach = half * std::sqrt(2.0) + 1;
      const double c = std::cos(sprite.angle), s = std::sin(sprite.angle);
      // A wrapping sprite near a border shows on the other side too.
      const int shifts = synthetic_.wrap ? 1 : 0;
      for (int sy = -shifts; sy <= shifts; ++sy)
        for (int sx = -shifts; sx <= shifts; ++sx) {
          const double cx = sprite.x + sx * w, cy = sprite.y + sy * h;
          const int x0 = std::max(0, static_cast<int>(std::floor(cx - reach)));
          const int x1 = std::min(w - 1, static_cast<int>(std::ceil(cx + reach)));
          const int y0 = std::max(0, static_cast<int>(std::floor(cy - reach)));
          const int y1 = std::min(h - 1, static_cast<int>(std::ceil(cy + reach)));
          for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
              // Into the sprite's frame: unrotate, unscale; the edge is anti-aliased over one pixel.
              const double u = (c * (x - cx) + s * (y - cy)) / sprite.scale;
              const double v = (-s * (x - cx) + c * (y - cy)) / sprite.scale;
              const double edge = 0.5 * synthetic_.sprite_size;
              const double alpha = std::clamp(edge - std::abs(u) + 0.5, 0.0, 1.0) *
                                   std::clamp(edge - std::abs(v) + 0.5, 0.0, 1.0);
              if (alpha <= 0) continue;
              const double grid = (kTextureGrid - 1) / static_cast<double>(synthetic_.sprite_size);
              const float level = sample_texture(textures_[i], (u + edge) * grid, (v + edge) * grid);
              float& pixel = canvas_[y * w + x];
              pixel = static_cast<float>(alpha * level + (1 - alpha) * pixel);
            }
        }
    }
  }

  torch::Tensor image = frame_buffer(source_.channels, h, w);
  std::uint8_t* out = image.data_ptr<std::uint8_t>();
  SplitMix64 noise(noise_state_);
  for (std::size_t p = 0; p < canvas_.size(); ++p) {
    const double value = canvas_[p] + (synthetic_.noise_std > 0 ? synthetic_.noise_std * noise.normal() : 0.0);
    out[p] = static_cast<std::uint8_t>(std::clamp(std::lround(value), 0L, 255L));
  }
  noise_state_ = noise.state();
  if (source_.channels == 3) image.slice(0, 1, 3).fill_(128);  // grey: neutral chroma
  return image;
}

SyntheticOptions synthetic_options_from_path(const std::string& path) {
  SyntheticOptions options;
  if (path == "synthetic:sprites") {
    options.kind = SyntheticKind::sprites;
  } else if (path == "synthetic:gratings") {
    options.kind = SyntheticKind::gratings;
  } else {
    throw SourceError(path + ": expected synthetic:sprites or synthetic:gratings");
  }
  return options;
}

}  // namespace vidssl
