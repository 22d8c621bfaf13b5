#pragma once

#include <cstdint>
#include <memory>

#include "pipeline/clock.h"

namespace vidssl {

// Releases frames at their presentation times, so a file read with --realtime arrives as a live
// camera would deliver it (and drop policies downstream can be tested on files). The first frame
// after start() sets the origin; a frame with timestamp t is released at origin + (t − t_first).
// Tests pass a SimulatedClock and step it instead of sleeping.
//
//   FramePacer pacer(clock);           // nullptr: the machine's steady clock
//   pacer.start();                     // at every clip: timestamps restart there
//   pacer.wait(frame.timestamp_us);    // blocks until the frame is due
class FramePacer {
 public:
  explicit FramePacer(Clock* clock = nullptr);

  void start() { started_ = false; }
  void wait(std::int64_t timestamp_us);

 private:
  std::unique_ptr<Clock> owned_clock_;
  Clock* clock_;
  bool started_ = false;
  std::int64_t origin_us_ = 0;
  std::int64_t first_timestamp_us_ = 0;
};

}  // namespace vidssl
