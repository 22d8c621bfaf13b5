#pragma once

#include <functional>
#include <memory>
#include <string>

#include "pipeline/frame.h"
#include "pipeline/stage.h"
#include "stages/frame_source.h"

namespace vidssl {

// Runs a FrameSource (a file, a folder, a camera, a generator) as the first stage of a pipeline.
// Warnings about damaged input go to `warn` as they happen; the stream goes on. On --resume the
// frames a checkpoint already trained on are read and skipped (skip_frames), so the run continues
// with exactly the frame it would have seen next.
class SourceStage final : public Source<Frame> {
 public:
  using Warn = std::function<void(const std::string&)>;
  SourceStage(std::string name, std::unique_ptr<FrameSource> source, Warn warn, std::int64_t skip_frames = 0)
      : Source<Frame>(std::move(name)), source_(std::move(source)), warn_(std::move(warn)), skip_frames_(skip_frames) {}

  const SourceInfo& info() const { return source_->info(); }

 protected:
  bool process(Outputs<Frame>& out) override {
    Frame frame;
    const bool more = source_->read(frame);
    for (auto& warning : source_->take_warnings()) warn_(warning);
    if (!more) return false;
    if (frame.index < skip_frames_) return true;
    return out.emit(frame);
  }

 private:
  std::unique_ptr<FrameSource> source_;
  Warn warn_;
  std::int64_t skip_frames_;
};

}  // namespace vidssl
