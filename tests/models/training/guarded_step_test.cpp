#include "models/training/guarded_step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/torch_runtime.h"
#include "models/training/optimizer_options.h"

namespace vidssl {
namespace {

// Two parameters and a quadratic loss with a known gradient.
struct Problem {
  explicit Problem(torch::Device device)
      : a(torch::arange(6, torch::TensorOptions().dtype(torch::kFloat).device(device)).view({2, 3}).requires_grad_()),
        b(torch::full({4}, 0.5f, torch::TensorOptions().device(device)).requires_grad_()) {}
  torch::Tensor loss(double scale) const { return scale * (a.pow(2).sum() + (b - 2).pow(2).sum()); }
  torch::Tensor a, b;
};

std::vector<torch::Tensor> copies(const Problem& p) { return {p.a.detach().clone(), p.b.detach().clone()}; }

void expect_equal(const std::vector<torch::Tensor>& x, const Problem& p, const char* what) {
  EXPECT_TRUE(torch::equal(x[0], p.a.detach())) << what;
  EXPECT_TRUE(torch::equal(x[1], p.b.detach())) << what;
}

// Every tensor of the optimizer's state, copied.
std::vector<torch::Tensor> state_of(torch::optim::Optimizer& optimizer) {
  std::vector<torch::Tensor> out;
  for (auto& entry : optimizer.state()) {
    auto& state = *entry.second;
    if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(&state)) {
      out.insert(out.end(), {adam->exp_avg().clone(), adam->exp_avg_sq().clone()});
    } else if (auto* rmsprop = dynamic_cast<torch::optim::RMSpropParamState*>(&state)) {
      out.push_back(rmsprop->square_avg().clone());
      if (rmsprop->momentum_buffer().defined()) out.push_back(rmsprop->momentum_buffer().clone());
    } else if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(&state)) {
      out.push_back(sgd->momentum_buffer().clone());
    }
  }
  return out;
}

// step_where(ok = true) is the optimizer's own step, and step_where(ok = false) leaves the
// weights and every tensor of the optimizer's state as they were. RMSProp and SGD then go on
// exactly as a twin optimizer that made only the plain steps; Adam's bias correction counts the
// refused step (its step count is a host integer, guarded_step.h), so its trajectory is compared
// up to the first refusal.
TEST(GuardedStep, AnOkStepIsThePlainStepAndARefusedStepChangesNothing) {
  for (const auto device : available_devices())
    for (const auto kind : {OptimizerKind::adam, OptimizerKind::rmsprop, OptimizerKind::sgd}) {
      SCOPED_TRACE(device.str() + " " + to_string(kind));
      OptimizerOptions options;
      options.kind = kind;
      options.lr = 0.05;
      Problem guarded(device), plain(device);
      auto g = make_optimizer(options, {guarded.a, guarded.b});
      auto p = make_optimizer(options, {plain.a, plain.b});
      const torch::Tensor yes = torch::tensor(true, torch::TensorOptions().device(device)), no = yes.logical_not();
      for (int step = 0; step < 3; ++step) {
        g->zero_grad();
        guarded.loss(1).backward();
        step_where(*g, yes);
        p->zero_grad();
        plain.loss(1).backward();
        p->step();
        if (kind != OptimizerKind::adam || step == 0) expect_equal(copies(plain), guarded, "after an ok step");
        const auto weights = copies(guarded), state = state_of(*g);
        g->zero_grad();
        guarded.loss(std::nan("")).backward();
        step_where(*g, no);
        expect_equal(weights, guarded, "after a refused step");
        const auto state_after = state_of(*g);
        ASSERT_EQ(state_after.size(), state.size());
        for (std::size_t i = 0; i < state.size(); ++i) EXPECT_TRUE(torch::equal(state[i], state_after[i])) << "state tensor " << i;
      }
    }
}

// A first step refused: the state it created is zero, as if it had never been made (the plain
// optimizer's first step from zero moments).
TEST(GuardedStep, ARefusedFirstStepLeavesAZeroState) {
  for (const auto device : available_devices()) {
    SCOPED_TRACE(device.str());
    OptimizerOptions options;
    options.kind = OptimizerKind::sgd;
    options.momentum = 0.9;
    Problem guarded(device), plain(device);
    auto g = make_optimizer(options, {guarded.a, guarded.b});
    auto p = make_optimizer(options, {plain.a, plain.b});
    g->zero_grad();
    guarded.loss(std::nan("")).backward();
    step_where(*g, torch::tensor(false, torch::TensorOptions().device(device)));
    expect_equal(copies(plain), guarded, "refused first step");
    // SGD's momentum buffer, started from zero, now takes the whole gradient (dampening 0):
    // the plain optimizer's first step starts it as a copy of the gradient. Equal.
    g->zero_grad();
    guarded.loss(1).backward();
    step_where(*g, torch::tensor(true, torch::TensorOptions().device(device)));
    p->zero_grad();
    plain.loss(1).backward();
    p->step();
    expect_equal(copies(plain), guarded, "the next step");
  }
}

}  // namespace
}  // namespace vidssl
