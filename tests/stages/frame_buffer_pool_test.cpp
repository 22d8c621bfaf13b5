#include "stages/frame_buffer_pool.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <memory>
#include <string>

#include "models/torch_runtime.h"
#include "pipeline/pipeline.h"
#include "stages/preprocess_stage.h"
#include "stages/source_stage.h"
#include "stages/synthetic_source.h"

namespace vidssl {
namespace {

const void* address(const torch::Tensor& t) { return t.data_ptr(); }

TEST(FrameBufferPool, ABufferNoOneHoldsIsHandedOutAgain) {
  FrameBufferPool pool;
  torch::Tensor a = pool.acquire(1, 24, 32);
  EXPECT_EQ(a.sizes(), (std::vector<std::int64_t>{1, 24, 32}));
  EXPECT_EQ(a.scalar_type(), torch::kUInt8);
  const void* first = address(a);
  a = torch::Tensor();
  for (int k = 0; k < 100; ++k) {
    const torch::Tensor frame = pool.acquire(1, 24, 32);
    ASSERT_EQ(address(frame), first) << "frame " << k;
  }
  EXPECT_EQ(pool.allocations(), 1);
  EXPECT_EQ(pool.size(), 1u);
}

// A frame, a view of it (a crop, one channel) or a copy of its handle keeps its buffer out of the pool.
TEST(FrameBufferPool, ABufferStillHeldThroughAViewIsNotHandedOut) {
  FrameBufferPool pool;
  torch::Tensor frame = pool.acquire(3, 8, 8);
  frame.fill_(7);
  const torch::Tensor luma = frame.select(0, 0);
  const torch::Tensor handle = pool.acquire(3, 8, 8);
  frame = torch::Tensor();
  const torch::Tensor next = pool.acquire(3, 8, 8);
  EXPECT_NE(address(next), address(luma));
  EXPECT_NE(address(next), address(handle));
  EXPECT_EQ(pool.allocations(), 3);
  EXPECT_TRUE(torch::all(luma == 7).item<bool>());
}

TEST(FrameBufferPool, BuffersOfAnotherSizeAreLetGoOnceFree) {
  FrameBufferPool pool;
  torch::Tensor small = pool.acquire(1, 4, 4);
  const torch::Tensor held = pool.acquire(1, 4, 4);
  small = torch::Tensor();
  const torch::Tensor large = pool.acquire(1, 8, 8);
  EXPECT_EQ(large.sizes(), (std::vector<std::int64_t>{1, 8, 8}));
  EXPECT_EQ(pool.size(), 2u) << "the free 4×4 buffer is let go, the held one stays";
  EXPECT_EQ(pool.allocations(), 3);
}

// A consumer that keeps every frame: past max_buffers each frame gets memory of its own, and the
// pool does not grow.
TEST(FrameBufferPool, PastItsCapacityAFrameGetsItsOwnMemory) {
  FrameBufferPool pool({.max_buffers = 4});
  std::vector<torch::Tensor> kept;
  for (int k = 0; k < 10; ++k) kept.push_back(pool.acquire(1, 2, 2));
  EXPECT_EQ(pool.size(), 4u);
  EXPECT_EQ(pool.allocations(), 10);
  kept.clear();
  const torch::Tensor again = pool.acquire(1, 2, 2);
  EXPECT_EQ(pool.allocations(), 10);
}

TEST(FrameBufferPool, APinnedPoolHandsOutPageLockedMemory) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "page-locked memory needs CUDA";
  FrameBufferPool pool({.pinned = true});
  EXPECT_TRUE(pool.acquire(1, 24, 32).is_pinned());
}

// Counts the preprocessed frames that reach the end of the run; keeps none.
class FrameCounter final : public Stage<Frame> {
 public:
  FrameCounter() : Stage<Frame>("counter") {}
  std::int64_t frames = 0;

 protected:
  void process(Frame frame, Outputs<NoOutput>&) override {
    if (frame.image.scalar_type() == torch::kFloat && frame.original.scalar_type() == torch::kUInt8) ++frames;
  }
};

// Source -> preprocessing -> a consumer, each on its own thread, with edges of 4: after warm-up no
// frame allocates. A decoded picture is held at most by the source, each edge, each stage's frame
// in hand and the copy an emit makes: at most 13 at once, whatever the threads' timing.
TEST(FrameBufferPool, ARunDecodesItsFramesIntoAFewRecycledBuffers) {
  for (const torch::Device device : available_devices()) {
    auto generator = std::make_unique<SyntheticSource>(SyntheticOptions{.width = 32, .height = 24, .frames_per_clip = 100, .num_clips = 3});
    SyntheticSource& synthetic = *generator;
    if (device.is_cuda()) synthetic.pin_frames();
    Pipeline p;
    auto& source = p.add<SourceStage>("source", std::move(generator), [](const std::string&) {});
    auto& preprocess = p.add<PreprocessStage>("preprocess", PreprocessOptions{.device = device});
    auto& counter = p.add<FrameCounter>();
    p.connect(source, preprocess, {4, EdgePolicy::block});
    p.connect(preprocess, counter, {4, EdgePolicy::block});
    p.start();
    p.join();
    std::printf("%s: %lld buffers allocated for 300 frames\n", device.str().c_str(),
                static_cast<long long>(synthetic.frame_buffers().allocations()));
    EXPECT_EQ(counter.frames, 300) << device;
    EXPECT_LE(synthetic.frame_buffers().allocations(), 13) << device << ": buffers allocated for 300 frames";
    EXPECT_EQ(synthetic.frame_buffers().pinned(), device.is_cuda());
  }
}

// On the CPU upload() is the tensor itself. To a GPU, a pinned frame is held until its copy has
// passed, then let go by a later upload: the pool cannot recycle it under the copy.
TEST(FrameBufferPool, AnUploadHoldsAPinnedFrameUntilTheDeviceHasReadIt) {
  for (const torch::Device device : available_devices()) {
    FrameBufferPool pool({.pinned = device.is_cuda()});
    torch::Tensor frame = pool.acquire(1, 480, 640).fill_(3);
    const torch::Tensor on_device = upload(frame, device);
    if (!device.is_cuda()) {
      EXPECT_EQ(address(on_device), address(frame));
      EXPECT_EQ(uploads_in_flight(), 0u);
      continue;
    }
    frame = torch::Tensor();
    const torch::Tensor other = pool.acquire(1, 480, 640);
    EXPECT_EQ(pool.allocations(), 2) << "the first frame is still held for its copy";
    torch::cuda::synchronize();
    const torch::Tensor next = upload(torch::zeros({1}), device);  // lets finished copies go
    EXPECT_EQ(uploads_in_flight(), 0u);
    EXPECT_TRUE(torch::all(on_device == 3).item<bool>());
  }
}

}  // namespace
}  // namespace vidssl
