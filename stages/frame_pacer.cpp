#include "stages/frame_pacer.h"

namespace vidssl {

FramePacer::FramePacer(Clock* clock) {
  if (clock == nullptr) owned_clock_ = std::make_unique<SteadyClock>();
  clock_ = clock != nullptr ? clock : owned_clock_.get();
}

void FramePacer::wait(std::int64_t timestamp_us) {
  if (!started_) {
    started_ = true;
    origin_us_ = clock_->now_us();
    first_timestamp_us_ = timestamp_us;
    return;
  }
  clock_->sleep_until_us(origin_us_ + (timestamp_us - first_timestamp_us_));
}

}  // namespace vidssl
