#include "stages/source_geometry.h"

#include <algorithm>
#include <cmath>

#include "stages/y4m_header.h"

namespace vidssl {

void check_source_options(const SourceOptions& options) {
  if (options.channels != 1 && options.channels != 3)
    throw SourceError(options.path + ": expected channels 1 (luma) or 3 (YUV), got " +
                      std::to_string(options.channels));
  const auto in_range = [](int side) { return side >= 0 && side <= Y4mHeader::kMaxSide; };
  if (!in_range(options.width) || !in_range(options.height))
    throw SourceError(options.path + ": expected an output size between 0 (native) and " +
                      std::to_string(Y4mHeader::kMaxSide) + ", got " + std::to_string(options.width) + "x" +
                      std::to_string(options.height));
  if (!(options.fps >= 0 && std::isfinite(options.fps)))
    throw SourceError(options.path + ": expected a frame rate >= 0 (0: every frame), got " + std::to_string(options.fps));
}

OutputSize output_size(const SourceOptions& options, int native_width, int native_height) {
  OutputSize size{options.width, options.height};
  if (size.width == 0 && size.height == 0) return {native_width, native_height};
  const double aspect = static_cast<double>(native_width) / std::max(native_height, 1);
  if (size.width == 0) size.width = std::max(1, static_cast<int>(std::lround(size.height * aspect)));
  if (size.height == 0) size.height = std::max(1, static_cast<int>(std::lround(size.width / aspect)));
  return size;
}

FitPlan plan_fit(int width, int height, OutputSize frame, Fit fit) {
  const PixelRect picture{0, 0, width, height}, whole{0, 0, frame.width, frame.height};
  // Cross-multiplied in 64 bits: which of the two is wider, without rounding.
  const bool picture_wider = static_cast<std::int64_t>(width) * frame.height > static_cast<std::int64_t>(height) * frame.width;
  const auto centred = [](int outer_width, int outer_height, int inner_width, int inner_height) {
    return PixelRect{(outer_width - inner_width) / 2, (outer_height - inner_height) / 2, inner_width, inner_height};
  };
  const auto scaled = [](int side, int numerator, int denominator) {
    return std::max(1, static_cast<int>(std::lround(static_cast<double>(side) * numerator / denominator)));
  };
  switch (fit) {
    case Fit::crop:
      return {picture_wider ? centred(width, height, std::min(width, scaled(height, frame.width, frame.height)), height)
                            : centred(width, height, width, std::min(height, scaled(width, frame.height, frame.width))),
              whole};
    case Fit::pad:
      return {picture, picture_wider
                           ? centred(frame.width, frame.height, frame.width, std::min(frame.height, scaled(frame.width, height, width)))
                           : centred(frame.width, frame.height, std::min(frame.width, scaled(frame.height, width, height)), frame.height)};
    case Fit::stretch:
      break;
  }
  return {picture, whole};
}

const char* fit_name(Fit fit) {
  switch (fit) {
    case Fit::crop:
      return "crop";
    case Fit::pad:
      return "pad";
    case Fit::stretch:
      break;
  }
  return "stretch";
}

}  // namespace vidssl
