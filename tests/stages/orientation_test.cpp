#include "stages/orientation.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace vidssl {
namespace {

// A display matrix as FFmpeg's av_display_rotation_set(angle) and av_display_matrix_flip write it
// (libavutil/display.c): a clockwise rotation by `angle` degrees, then flips that negate a column.
std::array<std::int32_t, 9> display_matrix(double angle, bool hflip, bool vflip) {
  const double radians = -angle * M_PI / 180.0;
  const auto fixed = [](double x) { return static_cast<std::int32_t>(std::lround(x * 65536)); };
  std::array<std::int32_t, 9> m{fixed(std::cos(radians)), fixed(-std::sin(radians)), 0,
                                fixed(std::sin(radians)), fixed(std::cos(radians)), 0, 0, 0, 1 << 30};
  for (int i = 0; i < 9; ++i) {
    if (hflip && i % 3 == 0) m[i] = -m[i];
    if (vflip && i % 3 == 1) m[i] = -m[i];
  }
  return m;
}

// The display matrix's definition, pixel by pixel: the centre of stored pixel (x, y), taken from
// the picture's centre, goes to (m0·p + m3·q, m1·p + m4·q) from the upright picture's centre.
torch::Tensor shown_by_definition(const torch::Tensor& stored, const std::array<std::int32_t, 9>& m) {
  const int h = static_cast<int>(stored.size(1)), w = static_cast<int>(stored.size(2));
  const double a = m[0] / 65536.0, b = m[1] / 65536.0, c = m[3] / 65536.0, d = m[4] / 65536.0;
  const bool swapped = std::abs(b) > std::abs(a);
  const int uw = swapped ? h : w, uh = swapped ? w : h;
  torch::Tensor shown = torch::full({1, uh, uw}, -1, torch::kInt32);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double p = x + 0.5 - w / 2.0, q = y + 0.5 - h / 2.0;
      const int ux = static_cast<int>(std::lround(a * p + c * q + uw / 2.0 - 0.5));
      const int uy = static_cast<int>(std::lround(b * p + d * q + uh / 2.0 - 0.5));
      shown[0][uy][ux] = stored[0][y][x].item<std::int32_t>();
    }
  return shown;
}

TEST(Orientation, TurnsAsTheDisplayMatrixDefinitionSays) {
  const torch::Tensor stored = torch::arange(5 * 3, torch::kInt32).view({1, 3, 5});  // every pixel distinct
  for (const double angle : {0.0, 90.0, 180.0, -90.0, 270.0})
    for (const bool hflip : {false, true})
      for (const bool vflip : {false, true}) {
        SCOPED_TRACE("angle " + std::to_string(angle) + (hflip ? " hflip" : "") + (vflip ? " vflip" : ""));
        const auto m = display_matrix(angle, hflip, vflip);
        const Orientation o = orientation_from_display_matrix(m.data());
        EXPECT_TRUE(torch::equal(turn_upright(stored, o), shown_by_definition(stored, m)));
      }
}

// What probe reports: the clockwise turn av_display_rotation_set was given (ffprobe prints the
// counter-clockwise one, its negative).
TEST(Orientation, RotationAndMirrorAsAUserSaysIt) {
  const auto described = [](double angle, bool hflip, bool vflip) {
    const Orientation o = orientation_from_display_matrix(display_matrix(angle, hflip, vflip).data());
    return std::make_pair(o.rotation(), o.mirrored());
  };
  EXPECT_EQ(described(0, false, false), std::make_pair(0, false));
  EXPECT_EQ(described(90, false, false), std::make_pair(90, false));  // a phone held upright
  EXPECT_EQ(described(180, false, false), std::make_pair(180, false));
  EXPECT_EQ(described(-90, false, false), std::make_pair(270, false));
  EXPECT_EQ(described(0, true, false), std::make_pair(0, true));
  EXPECT_EQ(described(0, false, true), std::make_pair(180, true));
  EXPECT_EQ(described(90, true, false).second, true);
  // Almost a quarter turn is that quarter turn.
  EXPECT_EQ(described(88.5, false, false), std::make_pair(90, false));
  // Said back as mirror-then-rotate, it turns the same pixels.
  const torch::Tensor stored = torch::arange(4 * 3, torch::kInt32).view({1, 3, 4});
  for (const double angle : {0.0, 90.0, 180.0, 270.0})
    for (const bool hflip : {false, true})
      for (const bool vflip : {false, true}) {
        const Orientation o = orientation_from_display_matrix(display_matrix(angle, hflip, vflip).data());
        const torch::Tensor mirrored = o.mirrored() ? stored.flip({2}) : stored;
        // torch::rot90 turns from its first dim towards its second: x towards y (down) is clockwise.
        const torch::Tensor said = torch::rot90(mirrored, o.rotation() / 90, {2, 1});
        EXPECT_TRUE(torch::equal(turn_upright(stored, o), said)) << angle << " " << hflip << vflip;
      }
}

// stored_rect: cutting the upright picture or turning the cut of the stored one is the same.
TEST(Orientation, StoredRectIsTheSamePixels) {
  const torch::Tensor stored = torch::arange(7 * 5, torch::kInt32).view({1, 5, 7});
  for (const bool t : {false, true})
    for (const bool h : {false, true})
      for (const bool v : {false, true}) {
        const Orientation o{t, h, v};
        const torch::Tensor upright = turn_upright(stored, o);
        const PixelRect r{1, 2, 2, 3};
        const PixelRect s = o.stored_rect(r, 7, 5);
        const torch::Tensor cut = stored.narrow(1, s.y, s.height).narrow(2, s.x, s.width);
        EXPECT_TRUE(torch::equal(turn_upright(cut, o), upright.narrow(1, r.y, r.height).narrow(2, r.x, r.width)))
            << t << h << v;
      }
}

}  // namespace
}  // namespace vidssl
