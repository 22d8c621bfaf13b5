#include "models/layers/lista_encoder.h"

#include <torch/torch.h>

#include "models/layers/conv_dictionary.h"
#include "models/layers/shrink.h"

namespace vidssl {

ListaEncoderImpl::ListaEncoderImpl(ListaEncoderOptions options_) : options(std::move(options_)) { reset(); }

void ListaEncoderImpl::reset() {
  const auto k = options.kernel();
  filter = register_module(
      "filter", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.channels(), options.filters(), k).padding(k / 2).bias(false)));
  lateral = register_module(
      "lateral", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.filters(), options.filters(), 2 * k - 1).padding(k - 1).bias(false)));
  {
    torch::NoGradGuard no_grad;
    lateral->weight.zero_();
  }
  threshold = register_parameter("threshold", torch::full({options.filters()}, options.initial_threshold()));
}

torch::Tensor ListaEncoderImpl::forward(const torch::Tensor& x) {
  const auto drive = filter(x);
  auto h = shrink_features(drive, threshold);
  for (std::int64_t k = 0; k < options.steps(); ++k) h = shrink_features(drive + lateral(h), threshold);
  return h;
}

void ListaEncoderImpl::init_from_decoder(const torch::Tensor& decoder_weight, double alpha) {
  torch::NoGradGuard no_grad;
  const auto w = decoder_weight.detach().to(filter->weight.device(), filter->weight.scalar_type());
  const double lipschitz = dictionary_lipschitz(w);
  // The adjoint of a "same" correlation with an odd kernel is the correlation with the flipped,
  // transposed kernel.
  filter->weight.copy_(w.transpose(0, 1).flip({2, 3}) / lipschitz);
  auto s = -dictionary_gram_kernel(w) / lipschitz;
  const auto centre = options.kernel() - 1;
  for (std::int64_t f = 0; f < options.filters(); ++f) s[f][f][centre][centre] += 1;
  lateral->weight.copy_(s);
  threshold.fill_(alpha / lipschitz);
}

}  // namespace vidssl
