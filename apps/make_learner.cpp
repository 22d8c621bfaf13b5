#include "apps/make_learner.h"

#include <spdlog/spdlog.h>

#include "models/linearize/linearize_learner.h"
#include "models/slow/slow_sparse_learner.h"

namespace vidssl {

std::unique_ptr<OnlineLearner> make_learner(RunConfig& config, int channels, torch::Device device) {
  if (config.model == "linearize") {
    auto& m = config.linearize;
    m.channels(channels);
    spdlog::info("model linearize: {} filters {}x{}, phase pooling {} features x {}x{} (every {}), beta {}, lambda {}, "
                 "{} delta steps, on {}",
                 m.filters(), m.kernel(), m.kernel(), m.block().features(), m.block().space(), m.block().space(),
                 m.block().feature_stride(), m.pool_beta(), m.curvature(), m.delta_steps(), device.str());
    return std::make_unique<LinearizeLearner>(m, config.optimizer, device);
  }
  auto& m = config.slow;
  m.channels(channels);
  spdlog::info("model slow: {} encoder, {} filters {}x{}, alpha {}, beta {}, training {} on {}", to_string(m.encoder()),
               m.filters(), m.kernel(), m.kernel(), m.alpha(), m.beta(), to_string(m.training()), device.str());
  return std::make_unique<SlowSparseLearner>(m, config.optimizer, device);
}

}  // namespace vidssl
