#include "models/layers/lista_encoder.h"

#include <torch/torch.h>

#include <stdexcept>

#include "models/layers/conv_dictionary.h"
#include "models/layers/decoder_conv.h"
#include "models/layers/shrink.h"

namespace vidssl {

const char* to_string(ListaLateral lateral) {
  switch (lateral) {
    case ListaLateral::full: return "full";
    case ListaLateral::factored: return "factored";
  }
  throw std::logic_error("unknown LISTA lateral form");
}

ListaEncoderImpl::ListaEncoderImpl(ListaEncoderOptions options_) : options(std::move(options_)) { reset(); }

void ListaEncoderImpl::reset() {
  const auto k = options.kernel();
  filter = register_module(
      "filter", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.channels(), options.filters(), k).padding(k / 2).bias(false)));
  if (options.lateral() == ListaLateral::full) {
    lateral = register_module(
        "lateral", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.filters(), options.filters(), 2 * k - 1).padding(k - 1).bias(false)));
    torch::NoGradGuard no_grad;
    lateral->weight.zero_();
  } else {
    // A = 0 (S = I) until init_from_decoder() sets it, as the full form's S = 0.
    reconstruct = register_parameter("reconstruct", torch::zeros({options.channels(), options.filters(), k, k}));
  }
  threshold = register_parameter("threshold", torch::full({options.filters()}, options.initial_threshold()));
}

torch::Tensor ListaEncoderImpl::forward(const torch::Tensor& x) {
  const auto drive = filter(x);
  auto h = shrink_features(drive, threshold);
  for (std::int64_t k = 0; k < options.steps(); ++k) {
    if (options.lateral() == ListaLateral::full) {
      h = shrink_features(drive + lateral(h), threshold);
    } else {
      h = shrink_features(h + encoder_conv2d(x - decoder_conv2d(h, reconstruct).to(x.scalar_type()), filter->weight).to(h.scalar_type()),
                          threshold);
    }
  }
  return h;
}

void ListaEncoderImpl::init_from_decoder(const torch::Tensor& decoder_weight, double alpha) {
  torch::NoGradGuard no_grad;
  const auto w = decoder_weight.detach().to(filter->weight.device(), filter->weight.scalar_type());
  const double lipschitz = dictionary_lipschitz(w);
  // The adjoint of a "same" correlation with an odd kernel is the correlation with the flipped,
  // transposed kernel.
  filter->weight.copy_(w.transpose(0, 1).flip({2, 3}) / lipschitz);
  threshold.fill_(alpha / lipschitz);
  if (options.lateral() == ListaLateral::factored) {
    reconstruct.copy_(w);
    return;
  }
  auto s = -dictionary_gram_kernel(w) / lipschitz;
  const auto centre = options.kernel() - 1;
  for (std::int64_t f = 0; f < options.filters(); ++f) s[f][f][centre][centre] += 1;
  lateral->weight.copy_(s);
}

}  // namespace vidssl
