#include "bench/road_scene.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "models/split_mix64.h"

namespace vidssl::bench {
namespace {

constexpr double kRoadHalfWidth = 3.5;   // m
constexpr double kBoxSpacing = 6.0;      // m between consecutive boxes along the road
constexpr double kViewDistance = 150.0;  // m: farther boxes are sub-pixel at every size benched

// A value in [0, 1) per lattice point, the same on every machine.
double lattice(std::int64_t i, std::int64_t j, std::uint64_t seed) {
  SplitMix64 a(seed ^ (static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL));
  SplitMix64 b(a.next() ^ static_cast<std::uint64_t>(j));
  return b.uniform();
}

double value_noise(double x, double y, double cell, std::uint64_t seed) {
  const double fx = x / cell, fy = y / cell;
  const double ix = std::floor(fx), iy = std::floor(fy);
  double tx = fx - ix, ty = fy - iy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  const auto i = static_cast<std::int64_t>(ix), j = static_cast<std::int64_t>(iy);
  const double top = lattice(i, j, seed) + tx * (lattice(i + 1, j, seed) - lattice(i, j, seed));
  const double bottom = lattice(i, j + 1, seed) + tx * (lattice(i + 1, j + 1, seed) - lattice(i, j + 1, seed));
  return top + ty * (bottom - top) - 0.5;
}

// Octaves from 2 m cells down to 5 cm; an octave whose cells are under two pixels (`footprint`:
// metres per pixel there) fades out, as a camera's optics blur it, instead of aliasing into noise
// that matches nowhere.
double texture(double x, double y, double footprint, std::uint64_t seed) {
  double sum = 0, cell = 2.0, amplitude = 1.0;
  for (int octave = 0; octave < 5; ++octave, cell *= 0.4, amplitude *= 0.75) {
    const double fade = std::clamp(cell / (2 * footprint) - 1.0, 0.0, 1.0);
    if (fade > 0) sum += amplitude * fade * value_noise(x, y, cell, seed + static_cast<std::uint64_t>(octave));
  }
  return sum;
}

struct Box {
  double x0, x1;    // lateral extent (m)
  double top;       // y of the top face (y down, the road at camera_height)
  double z0, z1;    // distance along the road
  double albedo;
  std::uint64_t id;
};

// Box k stands 6k m (plus a jitter) down the road, on either verge, or one in five on the road's
// edge, never in the camera's lane.
Box box(std::int64_t k, double camera_height, std::uint64_t seed) {
  SplitMix64 rng(seed * 0x2545F4914F6CDD1DULL + static_cast<std::uint64_t>(k));
  Box b{};
  b.id = rng.next();
  b.z0 = 8.0 + kBoxSpacing * static_cast<double>(k) + rng.uniform(0, 3);
  b.z1 = b.z0 + rng.uniform(1, 2);
  const double side = rng.uniform() < 0.5 ? -1.0 : 1.0;
  const double inner = rng.uniform() < 0.2 ? rng.uniform(2.0, 2.8) : rng.uniform(kRoadHalfWidth + 0.5, 7.0);
  const double width = rng.uniform(0.8, 2.5);
  b.x0 = side > 0 ? inner : -inner - width;
  b.x1 = side > 0 ? inner + width : -inner;
  b.top = camera_height - rng.uniform(0.5, 2.5);
  b.albedo = rng.uniform(0.2, 0.55);
  return b;
}

std::uint8_t luma(double albedo) { return static_cast<std::uint8_t>(std::clamp(std::lround(16 + 219 * albedo), 0L, 255L)); }

}  // namespace

StereoCamera road_camera(int width, int height) {
  const double f = 0.58 * width;
  return StereoCamera{.fx = f, .fy = f, .cx = 0.5 * (width - 1), .cy = 0.45 * (height - 1), .baseline = 0.537, .width = width, .height = height};
}

std::pair<torch::Tensor, torch::Tensor> RoadScene::render(std::int64_t t, int channels) const {
  const double z = speed_ * static_cast<double>(t);
  const double x = 0.4 * std::sin(0.03 * static_cast<double>(t));  // a gentle weave inside the lane
  return {render_view(x, z, channels), render_view(x + camera_.baseline, z, channels)};
}

torch::Tensor RoadScene::render_view(double x, double z, int channels) const {
  const std::int64_t h = camera_.height, w = camera_.width;
  const double ground = camera_height_;
  std::vector<Box> boxes;
  for (auto k = static_cast<std::int64_t>(std::floor((z - 12.0) / kBoxSpacing)); k * kBoxSpacing < z + kViewDistance; ++k) {
    if (k < 0) continue;
    Box b = box(k, ground, seed_);
    if (b.z1 <= z) continue;  // behind the camera
    b.x0 -= x, b.x1 -= x, b.z0 -= z, b.z1 -= z;  // camera coordinates
    boxes.push_back(b);
  }
  torch::Tensor out = torch::full({channels, h, w}, 128, torch::kUInt8);
  std::uint8_t* y_plane = out.data_ptr<std::uint8_t>();
  const double inf = std::numeric_limits<double>::infinity();
  at::parallel_for(0, h, 8, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t v = begin; v < end; ++v) {
      const double dy = (static_cast<double>(v) - camera_.cy) / camera_.fy;
      for (std::int64_t u = 0; u < w; ++u) {
        const double dx = (static_cast<double>(u) - camera_.cx) / camera_.fx;  // the ray (dx, dy, 1): t is the depth
        double t = dy > 0 ? ground / dy : inf;
        const Box* hit = nullptr;
        int face = 0;  // the axis whose slab the ray entered last: 0 a side, 1 the top, 2 the front
        for (const Box& b : boxes) {
          const double d[3] = {dx, dy, 1.0};
          const double lo[3] = {b.x0, b.top, b.z0}, hi[3] = {b.x1, ground, b.z1};
          double enter = 0, leave = inf;
          int axis = -1;
          for (int a = 0; a < 3; ++a) {
            if (d[a] == 0) {
              if (lo[a] > 0 || hi[a] < 0) leave = -1;
              continue;
            }
            const double t0 = lo[a] / d[a], t1 = hi[a] / d[a];
            const double near = std::min(t0, t1);
            if (near > enter) enter = near, axis = a;
            leave = std::min(leave, std::max(t0, t1));
          }
          if (axis >= 0 && enter <= leave && enter < t) t = enter, hit = &b, face = axis;
        }
        double albedo;
        if (t == inf || t > 2 * kViewDistance) {
          albedo = 0.8 - 0.15 * (static_cast<double>(v) / static_cast<double>(h));  // sky: smooth, nothing to match
        } else {
          const double px = t / camera_.fx;  // metres per pixel at that depth
          const double wx = x + t * dx, wy = t * dy, wz = z + t;
          if (hit) {
            const double a = face == 0 ? wz : wx, b = face == 1 ? wz : wy;
            const double light = face == 0 ? 0.8 : face == 1 ? 1.1 : 1.0;
            albedo = light * (hit->albedo + 0.7 * texture(a, b, px, seed_ ^ hit->id));
          } else {
            const double footprint = std::max(px, t * t / (camera_.fy * ground));  // the road foreshortened
            const double lateral = std::abs(wx);
            if (lateral < 0.1 && std::fmod(wz, 6.0) < 3.0) {
              albedo = 0.85;  // the dashed centre line
            } else if (std::abs(lateral - (kRoadHalfWidth - 0.1)) < 0.08) {
              albedo = 0.8;
            } else if (lateral < kRoadHalfWidth) {
              albedo = 0.42 + 0.5 * texture(wx, wz, footprint, seed_ + 101);
            } else {
              albedo = 0.3 + 0.8 * texture(wx, wz, footprint, seed_ + 202);
            }
          }
        }
        y_plane[v * w + u] = luma(albedo);
      }
    }
  });
  return out;
}

}  // namespace vidssl::bench
