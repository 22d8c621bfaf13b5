#include "apps/drive_pipeline.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vidssl {
namespace {

LearnerUpdate update_with_losses(const std::vector<double>& losses) {
  LearnerUpdate u;
  for (const double loss : losses)
    u.steps.push_back({static_cast<std::int64_t>(u.steps.size() + 1), false, {{"prediction", 9.0}, {"loss", loss}}});
  return u;
}

TEST(LearnerStatus, AFrameWithoutAStepKeepsTheLastLossInsteadOfShowingNone) {
  std::optional<double> loss;
  loss = newest_loss(update_with_losses({}), loss);
  EXPECT_FALSE(loss.has_value());
  loss = newest_loss(update_with_losses({0.5, 0.25}), loss);
  EXPECT_EQ(loss, 0.25) << "the newest step's";
  loss = newest_loss(update_with_losses({}), loss);  // a live learner's clip filling again after a drop
  EXPECT_EQ(loss, 0.25);
  loss = newest_loss(update_with_losses({std::nan("")}), loss);
  ASSERT_TRUE(loss.has_value());
  EXPECT_TRUE(std::isnan(*loss)) << "a step that was not finite is shown as it was";

  LearnerReport r;
  r.learner = "linearize", r.frame_index = 239, r.steps = 200, r.steps_per_s = 7.94, r.dropped = 3;
  EXPECT_EQ(learner_status(r, 0, std::nullopt), "linearize | frame 239 | step 200 | 7.9 steps/s | loss - | dropped 3");
  EXPECT_EQ(learner_status(r, 480, 0.25), "linearize | frame 239/480  50% | step 200 | 7.9 steps/s | loss 0.2500 | dropped 3");
}

}  // namespace
}  // namespace vidssl
