#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <memory>
#include <vector>

#include "models/layers/l2_pool.h"
#include "models/layers/lista_encoder.h"

namespace vidssl {

enum class SlowEncoder { relu, psd, lista };
// direct: encoder and decoder trained jointly on the loss below (the paper's).
// psd: predictive sparse decomposition: FISTA finds h* from the encoder's guess, the decoder
//      learns to reconstruct from h*, the encoder learns to predict h* (and to be slow).
enum class SlowTraining { direct, psd };
// How the slowness term measures the change of the pooled codes between the frames of a pair.
// l1: the paper's β Σ_j |P_j(h_t) − P_j(h_{t+1})| over N·H·W.
// normalized: a departure from the paper, β times the mean over pairs and pooled maps m of
//   Σ_{y,x} |P_t − P_{t+1}| / (Σ_{y,x} (P_t + P_{t+1}) + ε), the change relative to the map's size.
//   Why: the l1 term falls as a feature shrinks, so it pays the model to turn moving features down
//   as much as to make them slow; a ratio is not lowered by scaling a map. Measured on held-out
//   clips (docs/results.md, Model A): at the same residual energy it is about twice as slow as l1
//   (TCR 22-37 % below β 0 at β 2, against l1's 9-16 %), but it too leaves features dark: half of
//   32 at β 2 (l1 at β 2: 2-5), which the activity floor below prevents.
enum class SlownessTerm { l1, normalized };
// PSD training: where β's slowness acts.
// encoder: on the encoder's codes g_e(x), beside the prediction of h* (a departure: the encoder is
//   asked to be slow and to equal an h* that is not).
// inference: in the energy FISTA minimizes, the two codes of a pair found together
//   (models/slow/fista.h): the paper's energy. h* is slow, the encoder learns to predict it and has
//   no slowness term of its own. Takes slowness: l1, smoothed in the inference by
//   inference_smoothing.
enum class PsdSlowness { encoder, inference };
// Which layers one step of SlowSparseImpl::loss trains: all (with one layer, the only one; with two,
// each on its own loss), the first alone or the second alone (SlowSparseOptions::second_layer_after).
// A layer not trained is still evaluated and reported, with no gradient.
enum class TrainedLayers { all, first, second };

const char* to_string(SlowEncoder encoder);
const char* to_string(SlowTraining training);
const char* to_string(SlownessTerm slowness);
const char* to_string(PsdSlowness where);

struct SlowSparseOptions;
// Throws std::invalid_argument naming the option as its key under the model's config entry
// ("kernel: expected an odd size >= 1, got 4"); the model's constructor calls it, and so does the
// config reader, which adds the entry's prefix.
void check_options(const SlowSparseOptions& options);

// Model A's options: defaults are DESIGN §6's.
//
//   model:              # configs/clip-slow.yaml
//     encoder: relu     # relu | psd | lista
//     lista_lateral: full  # full (DESIGN §6) | factored (S = I − W_e∗A, ~50× cheaper a step)
//     filters: 64
//     kernel: 9
//     alpha: 0.5        # sparsity
//     beta: 2.0         # slowness (0: the plain sparse auto-encoder baseline)
//     slowness: l1      # l1 (the paper's) | normalized (the change relative to each pooled map's size)
//     activity_floor: 0 # weight μ of the activity floor (0: off, the paper's loss)
//     activity_floor_share: 0.2
//     training: direct  # direct | psd
//     psd_slowness: encoder  # psd training: encoder | inference (the paper's energy)
//     second_layer_filters: 0  # > 0: a second layer on the first's pooled maps (0: one layer)
//     second_layer_kernel: 5
//     second_layer_after: 0    # > 0: greedy, the first layer alone for this many steps, then the second alone
//     second_layer_beta_scale: 1  # the second layer's beta is beta times this
struct SlowSparseOptions {
  TORCH_ARG(std::int64_t, channels) = 1;
  TORCH_ARG(std::int64_t, filters) = 64;
  TORCH_ARG(std::int64_t, kernel) = 9;
  TORCH_ARG(SlowEncoder, encoder) = SlowEncoder::relu;
  TORCH_ARG(std::int64_t, lista_steps) = 3;
  TORCH_ARG(ListaLateral, lista_lateral) = ListaLateral::full;  // see ListaLateral
  TORCH_ARG(double, alpha) = 0.5;
  TORCH_ARG(double, beta) = 2.0;
  TORCH_ARG(SlownessTerm, slowness) = SlownessTerm::l1;
  // A departure from the paper: μ · mean_f max(0, s − a_f / ā), a_f the mean |g_e(x)_f| of feature f
  // over the batch's frames and positions, ā the mean of a_f over features, s the share. Why: a
  // dark feature is perfectly slow, and nothing in the paper's loss asks a feature to stay on; a
  // slowness strong enough to matter on held-out clips switched half of 32 features off (both
  // terms, docs/results.md, Model A). The floor asks each feature to carry at least s of the
  // average feature's activity; it depends on activity shares only, so it does not ask for larger
  // codes, and it is zero while every feature is above it. With the normalized term at β 2 and
  // μ 5: 1 of 32 features dark instead of 16-20, at β 0's residual energy. In a data-parallel run
  // each rank takes a_f over its own batch.
  TORCH_ARG(double, activity_floor) = 0.0;
  TORCH_ARG(double, activity_floor_share) = 0.2;
  TORCH_ARG(std::int64_t, pool_features) = 4;
  TORCH_ARG(std::int64_t, pool_space) = 2;
  TORCH_ARG(SlowTraining, training) = SlowTraining::direct;
  TORCH_ARG(std::int64_t, fista_steps) = 50;
  TORCH_ARG(double, fista_lipschitz) = 0.1;
  TORCH_ARG(double, fista_backtrack) = 1.5;
  TORCH_ARG(PsdSlowness, psd_slowness) = PsdSlowness::encoder;
  // η of FistaOptions::slowness_smoothing.
  TORCH_ARG(double, inference_smoothing) = 0.05;
  // A second layer, the same model on the first layer's pooled maps (channels filters /
  // pool_features, at 1/pool_space the size), with these filters and kernel and every other option
  // the first layer's; its pooled codes are then the features the eval measures. 0: one layer.
  // Why: one layer's pooling reaches 2×2 pixels of codes, and a feature that is to stay the same
  // while a scene moves has to pool over more. Trained online with the first, on the first's
  // current maps as they are (no gradient reaches the first layer from the second), each pair of
  // frames training both: a departure from the paper's greedy training, one layer after the
  // other, which second_layer_after gives. Measured on ten held-out videos (docs/results.md,
  // Model A): it tells Megamind.avi from the others better than the first layer's maps, with or
  // without slowness, but its slowness is no further above its own sparse only than one layer's
  // is.
  TORCH_ARG(std::int64_t, second_layer_filters) = 0;
  TORCH_ARG(std::int64_t, second_layer_kernel) = 5;
  // Greedy training, the paper's: the first layer learns alone for this many steps, then it is
  // frozen and the second learns alone on its maps. 0: both learn from the first step, as above.
  // Why an option: trained beside the first, the second layer starts on maps that are still
  // changing, and its Adam state and its dictionary are fitted to them. Measured on 18 held-out
  // videos (docs/results.md, Model A): with slowness it is above its own sparse only's AUC on
  // four and below on none, but no slower by the TCR at the first layer's β (see below).
  TORCH_ARG(std::int64_t, second_layer_after) = 0;
  // The second layer's β is β times this. Why: the second layer's input is standardized, each
  // frame's maps at deviation 1, so its reconstruction and sparsity terms are tens of times the
  // first layer's (its loss about 6 against 0.17, measured), while the normalized slowness term
  // is a ratio of map sizes and does not grow with them: at the first layer's β the second
  // layer's slowness weighs that much less. Measured, greedy, β 2: TCR at least 15 % below its
  // sparse only on one of ten held-out videos at scale 1, eight at scale 16 (where the AUC of 18
  // videos is above its sparse only's by more than the seeds' spread), eight at scale 32, and at
  // scale 64 all ten on five seeds, nine on ten (bikes.mp4 −13 % on one seed, against that seed's
  // sparse only). The two layers' input energies per position are 8 (8 standardized maps) and
  // 0.67 (the contrast-normalized frame, mean over the training set's batches, measured): at
  // scale 12 the slowness would weigh against each layer's reconstruction alike; the TCR asks for
  // more.
  TORCH_ARG(double, second_layer_beta_scale) = 1.0;
};

// The options of the second layer `options` asks for: its filters and kernel, the first layer's
// pooled maps as channels, everything else the first layer's, and no layer above it.
SlowSparseOptions second_layer_options(const SlowSparseOptions& options);

// Each frame's pooled maps less their mean, over their standard deviation (floored at 1e-3), over
// all maps and positions of the frame: N×M×H×W -> N×M×H×W. What the second layer sees. Why: the
// first layer's input is contrast-normalized to about unit size, and α and the encoder's start
// (one ISTA step, threshold α/L) are set for that; pooled maps are non-negative and about a tenth
// of it, so as they are α's threshold kept every second-layer code at zero (measured: residual
// energy 1 over the first 116 steps). A frame's own statistics, so a frame's features do not
// depend on the rest of its batch (as between the stages of Jarrett et al. 2009's
// rectification and contrast normalization).
torch::Tensor standardize_maps(const torch::Tensor& pooled);

// The terms of one evaluation of the loss on a batch of frame pairs. Every term is divided by
// the number of pixel positions N·H·W (pairs × pixels of one frame), so the figures do not
// depend on the frame size or batch, and α and β keep the weights they have in the sums of
// Goroshin et al.:
//   L = Σ_τ ( ½‖x_τ − W_d ∗ h_τ‖² + α‖h_τ‖₁ ) + β Σ_j |P_j(h_t) − P_j(h_{t+1})|
// (the slowness term as options.slowness says: the normalized one is a mean ratio, not a sum).
struct SlowSparseLoss {
  torch::Tensor total;           // what the optimizer minimizes: the trained layers' totals
  torch::Tensor whole;           // every layer's total, trained or not (total, when all are trained): the run's
                                 // loss figure, which greedy training's switch of layer does not make jump
  torch::Tensor reconstruction;  // ½‖x − x̂‖²
  torch::Tensor sparsity;        // α‖h‖₁
  torch::Tensor slowness;        // β Σ_j |P_j(h_t) − P_j(h_{t+1})| (or its normalized form); with psd_slowness:
                                 // inference, of h*, reported, not minimized
  torch::Tensor prediction;      // psd training: ‖h* − g_e(x)‖² (zero otherwise)
  torch::Tensor floor;           // μ · mean_f max(0, s − a_f / ā) of the encoder's codes (zero when off)
  torch::Tensor frames;          // x: 2N×C×H×W, frames t of every pair, then frames t+1
  torch::Tensor codes;           // h used for the reconstruction (h* in psd training), 2N×F×H×W
  torch::Tensor reconstructed;   // x̂
  torch::Tensor pooled;          // P(g_e(x)), 2N×(F/4)×(H/2)×(W/2)
  torch::Tensor features;        // the top layer's pooled codes: `pooled`, or the second layer's
  // The second layer's terms on this layer's pooled maps (its `frames`); its total is in `total`.
  // Null with one layer.
  std::shared_ptr<const SlowSparseLoss> second_layer;
};

// Model A: a convolutional sparse auto-encoder whose L2-pooled codes must change slowly between
// consecutive frames (Goroshin, Bruna, Tompson, Eigen & LeCun, ICCV 2015).
//
//   SlowSparse model(SlowSparseOptions().filters(32));
//   auto loss = model->loss(pairs);      // pairs: N×2×C×H×W, contrast-normalized
//   loss.total.backward(); optimizer.step(); model->normalize_decoder();
class SlowSparseImpl : public torch::nn::Module {
 public:
  explicit SlowSparseImpl(SlowSparseOptions options = {});
  void reset();

  torch::Tensor encode(const torch::Tensor& x);  // N×C×H×W -> N×F×H×W
  torch::Tensor decode(const torch::Tensor& h);  // N×F×H×W -> N×C×H×W
  torch::Tensor pool(const torch::Tensor& h);    // N×F×H×W -> N×(F/4)×(H/2)×(W/2)
  // What the eval measures from this layer's pooled maps: the second layer's pooled codes of them,
  // or the maps themselves with one layer.
  torch::Tensor top_features(const torch::Tensor& pooled);
  // The side a frame's height and width must be a multiple of: pool_space per layer.
  std::int64_t size_multiple() const;
  // The sparse codes the dictionary gives each frame alone: FISTA's h* from the encoder's guess
  // (fista_steps, alpha), what PSD training infers without a pair's slowness and its encoder
  // approximates. N×C×H×W -> N×F×H×W, no gradient.
  torch::Tensor infer(const torch::Tensor& x);
  // `trained` the layers the loss's gradient reaches (the others' terms are reported, not in `total`).
  SlowSparseLoss loss(const torch::Tensor& pairs, TrainedLayers trained = TrainedLayers::all);
  // What step `step` (0 the first) trains under options.second_layer_after.
  TrainedLayers trained_layers(std::int64_t step) const;
  // The parameters a step that trains `trained` must leave as they are: the other layer's (none for all).
  std::vector<torch::Tensor> frozen_parameters(TrainedLayers trained);
  // Each decoder filter (the C×k×k weights of one feature) to unit L2 norm; call after every
  // update, else the L1 term could be lowered by shrinking h and growing W_d.
  void normalize_decoder();

  SlowSparseOptions options;
  torch::nn::Conv2d encoder_filter{nullptr};  // relu and psd encoders
  torch::Tensor encoder_gain;                 // psd encoder: the learned diagonal D, [F]
  ListaEncoder lista{nullptr};                // lista encoder
  torch::nn::Conv2d decoder{nullptr};         // W_d: F -> C, k×k, no bias
  L2Pool pooling{nullptr};
  std::shared_ptr<SlowSparseImpl> second_layer;  // null with one layer

 private:
  SlowSparseLoss frames_loss(const torch::Tensor& x, std::int64_t pairs, TrainedLayers trained);
  SlowSparseLoss layer_loss(const torch::Tensor& x, std::int64_t pairs);
  SlowSparseLoss direct_loss(const torch::Tensor& x, std::int64_t pairs);
  SlowSparseLoss psd_loss(const torch::Tensor& x, std::int64_t pairs);
  void init_encoder_from_decoder();
  torch::Tensor slowness(const torch::Tensor& pooled, std::int64_t pairs, double positions) const;
  torch::Tensor activity_floor(const torch::Tensor& magnitude) const;  // magnitude: |g_e(x)|, 2N×F×H×W
  // FISTA from the encoder's guess, starting at the last batch's L; slowness β couples pairs (i, i + N) where > 0.
  torch::Tensor infer_from(const torch::Tensor& x, const torch::Tensor& guess, double slowness);

  // PSD training: the L the last batch's FISTA ended with, where the next one starts (0-d, on the
  // device; models/slow/fista.h). A cache, not state: a copy or a loaded model starts from
  // options.fista_lipschitz again.
  torch::Tensor fista_lipschitz_;
};
TORCH_MODULE(SlowSparse);

}  // namespace vidssl
