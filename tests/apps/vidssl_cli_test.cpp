// The vidssl binary end to end: runs it as a user would and checks what they would see.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/apps/command_line.h"
#include "tests/test_data.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

using Result = test::CommandResult;
using test::config;
using test::count_lines_with;
using test::read_all;
using test::vidssl;
Result run(const std::string& command) { return test::run_command_line(command); }

// A small, fast Model A run on vtest.avi.
std::string small_run(const std::string& out, int frames, const std::string& extra = "",
                      const std::string& display = "none") {
  return vidssl() + " run " + config("clip-slow.yaml") + " --max-frames " + std::to_string(frames) + " --out " + out +
         " --display " + display + " --set models.slow.filters=8 --set source.width=64 --set source.height=48 --set models.slow.train.batch=2 " +
         "--set run.threads=1 " + extra;
}

bool have_vtest() { return !test::opencv_clip("vtest.avi").empty(); }

TEST(VidsslCli, IllTypedSetExitsTwoWithOneLineNamingTheKey) {
  const auto r = run(vidssl() + " run " + config("clip-slow.yaml") + " --set models.slow.alpha=abc");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: models.slow.alpha: expected a number, got 'abc'\n");
}

TEST(VidsslCli, UnknownKeyExitsTwoAndSuggestsTheKnownOne) {
  const auto r = run(vidssl() + " run " + config("clip-slow.yaml") + " --set models.slow.alpah=0.3");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("models.slow.alpah: unknown key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean models.slow.alpha?"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines_with(r.err, ""), 1);
}

TEST(VidsslCli, BadKeysInTheFileExitTwo) {
  const auto dir = test::scratch_dir("cli-badfile");
  std::ofstream(dir + "/bad.yaml") << "source:\n  path: x.avi\nmodels:\n  slow:\n    filters: many\n";
  auto r = run(vidssl() + " run " + dir + "/bad.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: models.slow.filters: expected an integer, got 'many'\n");
  std::ofstream(dir + "/bad2.yaml") << "source:\n  path: x.avi\nmodels: {slow: {train: {batch: 0}}}\n";
  r = run(vidssl() + " run " + dir + "/bad2.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: models.slow.train.batch: expected an integer in [1, 4096], got 0\n");
  r = run(vidssl() + " run " + dir + "/missing.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("missing.yaml: no such config file"), std::string::npos);
}

TEST(VidsslCli, AMissingSourceIsOneLineNamingTheFile) {
  const auto r = run(vidssl() + " run " + config("clip-slow.yaml") + " --display none --out " + test::scratch_dir("cli-missing") +
                     " --set source.path=/nonexistent/clip.avi");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent/clip.avi"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines_with(r.err, "error:"), 1) << r.err;
}

TEST(VidsslCli, ARunWritesConfigMetricsAndACheckpointThatLoadsInPythonAndEvaluates) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-run");
  const auto r = run(small_run(out, 24));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(out + "/config.yaml"));
  const std::string metrics = read_all(out + "/metrics.jsonl");
  EXPECT_EQ(count_lines_with(metrics, "\"model\": \"slow\""), 23) << "one line per step: 24 frames make 23 pairs";
  EXPECT_GE(count_lines_with(metrics, "\"stage\": \"slow\""), 1) << "stage reports are logged";
  ASSERT_TRUE(fs::exists(out + "/slow/checkpoints"));

  // The documented Python snippet (README): torch.load gives a dict of tensors.
  const auto py = run("/usr/bin/python3 " + std::string(VIDSSL_SOURCE_DIR) + "/scripts/load_checkpoint.py " + out);
  ASSERT_EQ(py.status, 0) << py.err;
  EXPECT_NE(py.out.find("\"step\": 23"), std::string::npos) << py.out;
  EXPECT_NE(py.out.find("\"decoder.weight\": [1, 8, 9, 9]"), std::string::npos) << py.out;

  const auto e = run(vidssl() + " eval --checkpoint " + out + " --source " + test::opencv_clip("tree.avi") + " --max-frames 60");
  ASSERT_EQ(e.status, 0) << e.err;
  for (const char* key : {"\"tcr\": ", "\"temporal_auc\": ", "\"temporal_auc_every\": ", "\"residual_energy\": ", "\"active_fraction\": ", "\"dark_features\": ", "\"dark_maps\": "})
    EXPECT_NE(e.out.find(key), std::string::npos) << key << " missing in " << e.out;
  EXPECT_EQ(count_lines_with(e.out, "{"), 1) << "one JSON object on stdout";
  const auto gap = run(vidssl() + " eval --checkpoint " + out + " --source " + test::opencv_clip("tree.avi") + " --max-frames 60 --gap 3");
  ASSERT_EQ(gap.status, 0) << gap.err;
  EXPECT_NE(gap.out.find("\"gap\": 3, \"codes\": \"encoder\", \"tcr\": "), std::string::npos) << gap.out;
  // FISTA's codes of each frame instead of the encoder's (SlowSparseImpl::infer, tested in models/).
  const auto inferred = run(vidssl() + " eval --checkpoint " + out + " --source " + test::opencv_clip("tree.avi") + " --max-frames 20 --codes inferred");
  ASSERT_EQ(inferred.status, 0) << inferred.err;
  EXPECT_NE(inferred.out.find("\"codes\": \"inferred\", \"tcr\": "), std::string::npos) << inferred.out;
  const auto bad_codes = run(vidssl() + " eval --checkpoint " + out + " --source " + test::opencv_clip("tree.avi") + " --codes fista");
  EXPECT_EQ(bad_codes.status, 2) << bad_codes.err;
  EXPECT_NE(bad_codes.err.find("--codes"), std::string::npos) << bad_codes.err;

  // On a folder of two clips, each clip's figures against the whole set, named by its file.
  const std::string held_out = out + "/held-out";
  fs::create_directories(held_out);
  fs::copy_file(test::opencv_clip("tree.avi"), held_out + "/a.avi");
  fs::copy_file(test::opencv_clip("tree.avi"), held_out + "/b.avi");
  const auto folder = run(vidssl() + " eval --checkpoint " + out + " --source " + held_out + " --scene-seconds 1 --scene-gap 1");
  ASSERT_EQ(folder.status, 0) << folder.err;
  EXPECT_NE(folder.out.find("\"scene_gap\": 1, \"centered\": false, \"clips\": [{\"clip\": 0, \"name\": \"a.avi\", \"frames\": 68, \"tcr\": "),
            std::string::npos)
      << folder.out;
  EXPECT_NE(folder.out.find("{\"clip\": 1, \"name\": \"b.avi\", \"frames\": 68, \"tcr\": "), std::string::npos) << folder.out;
  const auto last_every = folder.out.rfind("\"temporal_auc_every\": ");
  ASSERT_NE(last_every, std::string::npos) << folder.out;
  EXPECT_GT(last_every, folder.out.find("\"name\": \"b.avi\"")) << "each clip's too: " << folder.out;
  // Two copies of one clip: each frame's twin in the other copy is among its nearest, so each clip
  // is confused with the other, which supplies all of its intruders.
  EXPECT_NE(folder.out.find("\"confused_with\": \"b.avi\", \"confused_share\": 1}"), std::string::npos) << folder.out;
  EXPECT_NE(folder.out.find("\"confused_with\": \"a.avi\", \"confused_share\": 1}"), std::string::npos) << folder.out;
  const auto centered = run(vidssl() + " eval --checkpoint " + out + " --source " + held_out + " --scene-seconds 1 --center");
  ASSERT_EQ(centered.status, 0) << centered.err;
  EXPECT_NE(centered.out.find("\"centered\": true"), std::string::npos) << centered.out;

  const auto plot = run(vidssl() + " plot " + out);
  ASSERT_EQ(plot.status, 0) << plot.err;
  EXPECT_GT(fs::file_size(out + "/curves.png"), 10000u);
}

// A second layer (models.slow.second_layer_filters), here trained greedily (second_layer_after): its
// weights are checkpointed under second_layer., its step figures logged, and the eval measures its
// pooled codes. A second layer's size the pooling does not divide, or a greedy schedule without a
// second layer, is one line naming the key.
TEST(VidsslCli, ATwoLayerRunLogsAndEvaluatesItsSecondLayer) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-two-layers");
  const auto r = run(small_run(out, 8, "--set models.slow.second_layer_filters=8 --set models.slow.second_layer_kernel=3 --set models.slow.second_layer_after=2"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("(greedy: the first layer alone for 2 steps, then the second)"), std::string::npos) << r.err;
  const std::string metrics = read_all(out + "/metrics.jsonl");
  EXPECT_EQ(count_lines_with(metrics, "\"second_layer_residual_energy\": "), count_lines_with(metrics, "\"model\": \"slow\"")) << metrics;
  const auto py = run("/usr/bin/python3 " + std::string(VIDSSL_SOURCE_DIR) + "/scripts/load_checkpoint.py " + out);
  ASSERT_EQ(py.status, 0) << py.err;
  EXPECT_NE(py.out.find("\"second_layer.decoder.weight\": [2, 8, 3, 3]"), std::string::npos) << "8 filters onto 2 pooled maps: " << py.out;
  const auto e = run(vidssl() + " eval --checkpoint " + out + " --source " + test::opencv_clip("tree.avi") + " --max-frames 20");
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_NE(e.out.find("\"layers\": 2, "), std::string::npos) << e.out;
  const auto odd = run(small_run(test::scratch_dir("cli-two-layers-bad"), 4, "--set models.slow.second_layer_filters=6"));
  EXPECT_EQ(odd.status, 2);
  EXPECT_EQ(odd.err, "error: models.slow.second_layer_filters: expected 0 or a multiple of pool_features (4) up to 4096, got 6\n");
  const auto alone = run(small_run(test::scratch_dir("cli-two-layers-greedy-bad"), 4, "--set models.slow.second_layer_after=5"));
  EXPECT_EQ(alone.status, 2);
  EXPECT_EQ(alone.err, "error: models.slow.second_layer_after: expected 0, or a number of steps >= 1 with second_layer_filters > 0, got 5\n");
}

// scripts/lista_gain.py on a factored LISTA run that has barely moved from its start, ISTA's
// iteration, whose linear part h ↦ h − W_dᵀ(W_d h)/L has gain 1 exactly; with the step past 2/L
// (W_e × 2.2) the same dictionary's gain is at least |1 − 2.2| = 1.2 (more by as much as L, 50
// power iterations on a 32×32 map, falls short of DᵀD's largest eigenvalue: measured 1.27).
TEST(VidsslCli, ListaGainIsOneAtIstasStartAndAboveOneWithTheStepPastTwoOverL) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-lista-gain");
  const auto r = run(small_run(out, 4, "--set models.slow.encoder=lista --set models.slow.lista_lateral=factored --set models.slow.train.lr=1e-9"));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string script = std::string(VIDSSL_SOURCE_DIR) + "/scripts/lista_gain.py";
  const auto py = run("/usr/bin/python3 -W ignore " + script + " " + out);
  ASSERT_EQ(py.status, 0) << py.err;
  const auto at = py.out.find("\"gain\": ");
  ASSERT_NE(at, std::string::npos) << py.out;
  EXPECT_NEAR(std::stod(py.out.substr(at + 8)), 1.0, 0.01) << py.out;

  const auto doubled = run("/usr/bin/python3 -W ignore -c \"import glob, sys; sys.path.insert(0, '" + std::string(VIDSSL_SOURCE_DIR) +
                           "/scripts'); import lista_gain; w = lista_gain.load_weights(sorted(glob.glob('" + out +
                           "/slow/checkpoints/step-*'))[-1] + '/weights.pt'); print(lista_gain.gain(2.2 * w['lista.filter.weight'], "
                           "w['lista.reconstruct']))\"");
  ASSERT_EQ(doubled.status, 0) << doubled.err;
  EXPECT_GT(std::stod(doubled.out), 1.19) << doubled.out;

  const auto not_lista = run("/usr/bin/python3 -W ignore " + script + " " + test::scratch_dir("cli-lista-gain-none"));
  EXPECT_EQ(not_lista.status, 1);
  EXPECT_NE(not_lista.err.find("no checkpoint"), std::string::npos) << not_lista.err;
}

// scripts/block_motion.py on a noise texture panned 2 px a frame: from x^{t-2} to x^{t+2} every
// block has moved 8 px; held still, none has; a file FFmpeg cannot read is one line naming it.
TEST(VidsslCli, BlockMotionFindsAPanAndAStillClip) {
  const auto dir = test::scratch_dir("cli-block-motion");
  const auto made = run("ffmpeg -v error -y -f lavfi -i color=gray:s=400x200:d=1 -vf noise=alls=100:allf=u,gblur=sigma=1 -frames:v 1 " +
                        dir + "/noise.png && ffmpeg -v error -y -loop 1 -i " + dir + "/noise.png -vf crop=160:120:x=2*n:y=20,format=gray " +
                        "-frames:v 30 -c:v ffv1 " + dir + "/pan.mkv && ffmpeg -v error -y -loop 1 -i " + dir +
                        "/noise.png -vf crop=160:120:x=10:y=20,format=gray -frames:v 30 -c:v ffv1 " + dir + "/still.mkv");
  if (made.status != 0) GTEST_SKIP() << "ffmpeg could not make the clips: " << made.err;
  const std::string script = "/usr/bin/python3 " + std::string(VIDSSL_SOURCE_DIR) + "/scripts/block_motion.py ";
  const auto pan = run(script + dir + "/pan.mkv --gap 2");
  ASSERT_EQ(pan.status, 0) << pan.err;
  EXPECT_NE(pan.out.find("\"median_px\": 8.0, \"p75_px\": 8.0, \"p90_px\": 8.0, \"still\": 0.0"), std::string::npos) << pan.out;
  const auto still = run(script + dir + "/still.mkv --gap 2");
  ASSERT_EQ(still.status, 0) << still.err;
  EXPECT_NE(still.out.find("\"median_px\": 0.0, \"p75_px\": 0.0, \"p90_px\": 0.0, \"still\": 1.0"), std::string::npos) << still.out;
  const auto missing = run(script + dir + "/none.mkv");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find(dir + "/none.mkv: ffmpeg could not decode it"), std::string::npos) << missing.err;
}

// PyTorch 2.x reads what this build's LibTorch writes: the Python of the CUDA build's venv
// (scripts/setup.sh --cuda; .ci/run runs this again once it exists), or $VIDSSL_TORCH2_PYTHON.
TEST(VidsslCli, ACheckpointLoadsInPyTorch2) {
  const char* env = std::getenv("VIDSSL_TORCH2_PYTHON");
  const std::string python = env ? env : std::string(VIDSSL_SOURCE_DIR) + "/build-cuda/venv/bin/python";
  if (!fs::exists(python)) GTEST_SKIP() << python << " not found: run scripts/setup.sh --cuda first";
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-torch2");
  const auto r = run(small_run(out, 6));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto py = run(python + " -W ignore " + std::string(VIDSSL_SOURCE_DIR) + "/scripts/load_checkpoint.py " + out);
  ASSERT_EQ(py.status, 0) << py.err;
  EXPECT_NE(py.out.find("\"torch\": \"2."), std::string::npos) << py.out;
  EXPECT_NE(py.out.find("\"step\": 5"), std::string::npos) << py.out;
  EXPECT_NE(py.out.find("\"decoder.weight\": [1, 8, 9, 9]"), std::string::npos) << py.out;
}

TEST(VidsslCli, AModelBRunTrainsOnTripletsAndItsCheckpointEvaluatesAndInterpolates) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-linearize");
  const auto r = run(vidssl() + " run " + config("clips-linearize.yaml") + " --max-frames 12 --out " + out +
                     " --display png:" + out + "/png --set source.path=" + test::opencv_clip("vtest.avi") +
                     " --set models.linearize.filters=8 --set source.width=64 --set source.height=48 --set models.linearize.train.batch=2 --set run.threads=1");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string metrics = read_all(out + "/metrics.jsonl");
  EXPECT_EQ(count_lines_with(metrics, "\"model\": \"linearize\""), 10) << "12 frames make 10 triplets";
  EXPECT_GE(count_lines_with(metrics, "\"psnr_predict\""), 10);
  EXPECT_FALSE(fs::is_empty(out + "/png"));

  const std::string held_out = " --source " + test::opencv_clip("tree.avi") + " --max-frames 20";
  const auto e = run(vidssl() + " eval --checkpoint " + out + held_out);
  ASSERT_EQ(e.status, 0) << e.err;
  for (const char* key : {"\"psnr_feature\": ", "\"psnr_crossfade\": ", "\"psnr_crossfade_decoded\": ", "\"psnr_feature_residual\": ",
                          "\"psnr_predict\": ", "\"psnr_copy_last\": ", "\"psnr_predict_residual\": ", "\"psnr_crossfade_aligned\": ",
                          "\"psnr_feature_aligned\": ", "\"psnr_feature_aligned_residual\": ", "\"psnr_copy_last_aligned\": ",
                          "\"psnr_predict_aligned\": ", "\"psnr_predict_aligned_residual\": ", "\"curvature\": ", "\"n_triplets\": 18"})
    EXPECT_NE(e.out.find(key), std::string::npos) << key << " missing in " << e.out;
  const auto i = run(vidssl() + " interpolate --checkpoint " + out + held_out + " --every 5");
  ASSERT_EQ(i.status, 0) << i.err;
  EXPECT_NE(i.out.find("\"strips\": 4"), std::string::npos) << i.out;  // triplets 0, 5, 10, 15
  EXPECT_TRUE(fs::exists(out + "/linearize/interpolate/triplet_000015.png"));

  // At a gap of 4 frames: triplets x(t-4), x(t), x(t+4) of 20 frames are 12, trained at that gap too.
  const auto gap_run = run(vidssl() + " run " + config("clips-linearize.yaml") + " --max-frames 12 --out " + out + "-gap --display none" +
                           " --set source.path=" + test::opencv_clip("vtest.avi") + " --set models.linearize.filters=8 --set source.width=64" +
                           " --set source.height=48 --set models.linearize.train.batch=2 --set run.threads=1 --set models.linearize.train.frame_gap=4");
  ASSERT_EQ(gap_run.status, 0) << gap_run.err;
  EXPECT_EQ(count_lines_with(read_all(out + "-gap/metrics.jsonl"), "\"model\": \"linearize\""), 4) << "12 frames make 4 triplets 4 apart";
  const auto gap = run(vidssl() + " eval --checkpoint " + out + "-gap" + held_out + " --gap 4");
  ASSERT_EQ(gap.status, 0) << gap.err;
  EXPECT_NE(gap.out.find("\"gap\": 4, \"n_triplets\": 12"), std::string::npos) << gap.out;
  const auto too_long = run(vidssl() + " eval --checkpoint " + out + held_out + " --gap 10");
  EXPECT_EQ(too_long.status, 1) << too_long.err;
  EXPECT_NE(too_long.err.find("no run of 21 consecutive frames (a triplet at gap 10)"), std::string::npos) << too_long.err;
  EXPECT_EQ(count_lines_with(too_long.err, ""), 1) << too_long.err;

  // With blocks of one feature and one pixel the phase carries nothing and the magnitude is the
  // code itself, so averaging the codes and decoding (linear G) is the cross-fade of the decoded
  // frames: psnr_feature equals psnr_crossfade_decoded, computed the other way round; and with the
  // residuals carried, the interpolation is the pixel cross-fade itself.
  const auto trivial = run(vidssl() + " run " + config("clips-linearize.yaml") + " --max-frames 12 --out " + out +
                           "-trivial --display none --set source.path=" + test::opencv_clip("vtest.avi") +
                           " --set models.linearize.filters=8 --set models.linearize.pool_features=1 --set models.linearize.pool_feature_stride=1" +
                           " --set models.linearize.pool_space=1" +
                           " --set source.width=64 --set source.height=48 --set models.linearize.train.batch=2 --set run.threads=1");
  ASSERT_EQ(trivial.status, 0) << trivial.err;
  // On vtest.avi 4 frames apart, where people walk: on tree.avi's next frames little moves, and the
  // aligned frames would be the originals.
  const auto trivial_eval = run(vidssl() + " eval --checkpoint " + out + "-trivial --source " + test::opencv_clip("vtest.avi") + " --max-frames 20 --gap 4");
  ASSERT_EQ(trivial_eval.status, 0) << trivial_eval.err;
  const auto figure = [&](const std::string& key) {
    const auto at = trivial_eval.out.find("\"" + key + "\": ");
    return at == std::string::npos ? std::nan("") : std::stod(trivial_eval.out.substr(at + key.size() + 4));
  };
  EXPECT_NEAR(figure("psnr_feature"), figure("psnr_crossfade_decoded"), 1e-3) << trivial_eval.out;
  EXPECT_GT(std::abs(figure("psnr_crossfade_decoded") - figure("psnr_crossfade")), 0.1) << "the decoded frames are not the frames";
  EXPECT_NEAR(figure("psnr_feature_residual"), figure("psnr_crossfade"), 1e-3) << trivial_eval.out;
  // The same on the frames block motion aligned: the estimates see the aligned frames, not the originals.
  EXPECT_NEAR(figure("psnr_feature_aligned_residual"), figure("psnr_crossfade_aligned"), 1e-3) << trivial_eval.out;
  EXPECT_GT(std::abs(figure("psnr_crossfade_aligned") - figure("psnr_crossfade")), 0.01) << "vtest.avi's people move" << trivial_eval.out;

  // A coarse pooling level beside the fine one: 64×48 frames divide into its 8×8 blocks.
  const auto coarse = run(vidssl() + " run " + config("clips-linearize.yaml") + " --max-frames 12 --out " + out +
                          "-coarse --display none --set source.path=" + test::opencv_clip("vtest.avi") +
                          " --set models.linearize.filters=8 --set models.linearize.coarse_filters=4 --set models.linearize.coarse_space=8" +
                          " --set source.width=64 --set source.height=48 --set models.linearize.train.batch=2 --set run.threads=1");
  ASSERT_EQ(coarse.status, 0) << coarse.err;
  EXPECT_NE(coarse.err.find("and 4 filters pooled over 8x8"), std::string::npos) << coarse.err;
  const auto coarse_eval = run(vidssl() + " eval --checkpoint " + out + "-coarse" + held_out);
  ASSERT_EQ(coarse_eval.status, 0) << coarse_eval.err;
  EXPECT_NE(coarse_eval.out.find("\"n_triplets\": 18"), std::string::npos) << coarse_eval.out;

  // A Model A key under a Model B entry is refused, naming it.
  const auto bad = run(vidssl() + " run " + config("clips-linearize.yaml") + " --set models.linearize.alpha=0.5 --out " + out + "-bad");
  EXPECT_EQ(bad.status, 2) << bad.err;
  EXPECT_NE(bad.err.find("models.linearize.alpha: unknown key"), std::string::npos) << bad.err;
  EXPECT_EQ(count_lines_with(bad.err, ""), 1) << bad.err;
  const auto steps = run(vidssl() + " run " + config("clips-linearize.yaml") + " --set models.linearize.delta_steps=-1 --out " + out + "-bad");
  EXPECT_EQ(steps.status, 2) << steps.err;
  EXPECT_EQ(steps.err, "error: models.linearize.delta_steps: expected an integer in [0, 10000], got -1\n");
  const auto uneven = run(vidssl() + " run " + config("clips-linearize.yaml") + " --set models.linearize.coarse_filters=6 --out " + out + "-bad");
  EXPECT_EQ(uneven.status, 2) << uneven.err;
  EXPECT_NE(uneven.err.find("error: models.linearize.coarse_filters: expected a count that divides"), std::string::npos) << uneven.err;
  EXPECT_EQ(count_lines_with(uneven.err, ""), 1) << uneven.err;
}

TEST(VidsslCli, ResumeContinuesTheRunFromItsCheckpoint) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-resume");
  ASSERT_EQ(run(small_run(out, 10)).status, 0);
  const auto r = run(small_run(out, 20, "--resume"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from"), std::string::npos) << r.err;
  const std::string metrics = read_all(out + "/metrics.jsonl");
  EXPECT_NE(metrics.find("\"step\": 19,"), std::string::npos) << "steps continue from 9 to 19";
  EXPECT_EQ(metrics.find("\"step\": 20,"), std::string::npos);
}

// A fresh run into a folder that holds a run is refused (its checkpoints would be pruned among the
// old run's, its metrics appended to the old run's); --force moves the old run aside, whole.
TEST(VidsslCli, AFreshRunIntoAnOldRunIsRefusedAndForceMovesTheOldRunAside) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-clobber");
  ASSERT_EQ(run(small_run(out, 40, "--set models.slow.train.checkpoint_every=10")).status, 0);
  const std::string old_metrics = read_all(out + "/metrics.jsonl");
  const auto refused = run(small_run(out, 12));
  EXPECT_EQ(refused.status, 2) << refused.err;
  EXPECT_EQ(count_lines_with(refused.err, "error:"), 1) << refused.err;
  EXPECT_NE(refused.err.find("already holds a run (metrics.jsonl, checkpoints of slow): continue it with --resume"), std::string::npos)
      << refused.err;
  EXPECT_EQ(read_all(out + "/metrics.jsonl"), old_metrics) << "the refused run wrote nothing";

  const auto forced = run(small_run(out, 12, "--force"));
  ASSERT_EQ(forced.status, 0) << forced.err;
  std::vector<fs::path> moved;
  for (const auto& entry : fs::directory_iterator(fs::path(out).parent_path()))
    if (entry.path().filename().string().rfind(fs::path(out).filename().string() + ".replaced-", 0) == 0) moved.push_back(entry.path());
  ASSERT_EQ(moved.size(), 1u) << forced.err;
  EXPECT_NE(forced.err.find("is moved to " + moved[0].string()), std::string::npos) << forced.err;
  EXPECT_EQ(read_all((moved[0] / "metrics.jsonl").string()), old_metrics);
  EXPECT_TRUE(fs::exists(moved[0] / "slow/checkpoints/step-0000000039/meta.json"));
  EXPECT_TRUE(fs::exists(out + "/slow/checkpoints/step-0000000011/meta.json")) << "the new run's own checkpoint is kept";
  EXPECT_EQ(read_all(out + "/metrics.jsonl").find("\"step\": 39,"), std::string::npos) << "the new run's metrics stand alone";
  EXPECT_NE(run(small_run(out, 12, "--force --resume")).status, 0) << "--force and --resume exclude each other";
}

// A newest checkpoint damaged on disk, its weights or its optimizer's state: --resume sets it
// aside, names it and why in one line, and goes on from the next older one.
TEST(VidsslCli, ResumeFallsBackFromADamagedNewestCheckpoint) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  for (const std::string file : {"weights.pt", "optimizer.pt"}) {
    SCOPED_TRACE(file + " cut short");
    const auto out = test::scratch_dir("cli-resume-damaged");
    ASSERT_EQ(run(small_run(out, 30, "--set models.slow.train.checkpoint_every=10")).status, 0);
    const std::string newest = out + "/slow/checkpoints/step-0000000029";
    ASSERT_TRUE(fs::exists(newest + "/" + file));
    fs::resize_file(newest + "/" + file, fs::file_size(newest + "/" + file) / 2);
    const auto r = run(small_run(out, 40, "--resume --set models.slow.train.checkpoint_every=10"));
    ASSERT_EQ(r.status, 0) << r.err;
    const auto warning = r.err.find("skipping checkpoint " + newest + ", moved to " + out + "/slow/checkpoints/damaged-step-0000000029");
    ASSERT_NE(warning, std::string::npos) << r.err;
    const std::string line = r.err.substr(warning, r.err.find('\n', warning) - warning);
    EXPECT_NE(line.find(file), std::string::npos) << "the reason names the file: " << r.err;
    EXPECT_EQ(r.err.find("Exception raised from"), std::string::npos) << "no LibTorch backtrace: " << r.err;
    EXPECT_NE(r.err.find("resuming from " + out + "/slow/checkpoints/step-0000000020 (step 20)"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(out + "/slow/checkpoints/step-0000000039/meta.json")) << r.err;
    EXPECT_TRUE(fs::exists(out + "/slow/checkpoints/damaged-step-0000000029/" + file)) << "the damaged one is kept";
  }
}

TEST(VidsslCli, PngDisplayWritesThePanels) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-png");
  const auto r = run(small_run(out, 30, "", "png:" + out + "/view"));
  ASSERT_EQ(r.status, 0) << r.err;
  int pngs = 0;
  for (const auto& entry : fs::directory_iterator(out + "/view")) pngs += entry.path().extension() == ".png";
  EXPECT_GE(pngs, 1);
}

// What a run interrupted on cue gave: whether the cue came, its exit status, its stderr, and the
// seconds from the interrupt to its exit.
struct InterruptedRun {
  bool cued = false;
  int status = -1;  // the exit status, or -1 when it did not exit by itself
  std::string err;
  double seconds = 0;
};

// Runs `command` and reads its stderr as it comes (blocking reads, no sleeping); at the first line
// holding `cue` it sends SIGINT, then reads on to the end.
InterruptedRun interrupt_on_cue(const std::string& command, const std::string& cue) {
  InterruptedRun r;
  int err_pipe[2];
  if (pipe(err_pipe) != 0) return r;
  const pid_t child = fork();
  if (child == 0) {
    dup2(err_pipe[1], STDERR_FILENO);
    close(err_pipe[0]);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), nullptr);
    _exit(127);
  }
  close(err_pipe[1]);
  FILE* err = fdopen(err_pipe[0], "r");
  char line[1024];
  std::chrono::steady_clock::time_point interrupted;
  while (!r.cued && std::fgets(line, sizeof(line), err)) {
    r.err += line;
    if (std::string(line).find(cue) != std::string::npos) {
      r.cued = true;
      interrupted = std::chrono::steady_clock::now();
      kill(child, SIGINT);
    }
  }
  while (std::fgets(line, sizeof(line), err)) r.err += line;
  fclose(err);
  int status = 0;
  waitpid(child, &status, 0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - interrupted).count();
  if (WIFEXITED(status)) r.status = WEXITSTATUS(status);
  return r;
}

// SIGINT: the run finishes the step in hand, writes a final checkpoint and exits 0.
TEST(VidsslCli, InterruptFinishesTheStepInHandCheckpointsAndExitsCleanly) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-sigint");
  const auto r = interrupt_on_cue(small_run(out, 100000, "--set run.report_every=0.1"), "| step ");
  const std::string& seen = r.err;
  ASSERT_TRUE(r.cued) << seen;
  EXPECT_EQ(r.status, 0) << seen;
  EXPECT_NE(seen.find("interrupted: finishing the step in hand"), std::string::npos) << seen;
  EXPECT_NE(seen.find("checkpoint "), std::string::npos) << seen;
  EXPECT_TRUE(fs::exists(out + "/slow/checkpoints"));
}

TEST(VidsslCli, NumbersPastWhatTheMachineHoldsAndUnknownChoicesAreRefusedNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"models.slow.filters=2147483648", "models.slow.filters: expected an integer in [1, 4096]"},
      {"models.slow.train.lr=1e38", "models.slow.train.lr: expected a learning rate in (0, 1000]"},
      {"run.threads=100000", "run.threads: expected an integer in [0, "},
      {"source.edge.capacity=100000000", "source.edge.capacity: expected an integer in [1, 4096]"},
      {"source.width=1000000", "source.width: expected a size in [0, 16384]"},
      {"models.slow.train.replay_capacity=100000000000", "models.slow.train.replay_capacity: expected an integer in [1, 1000000]"},
      {"run.precision=fp16", "run.precision: expected one of fp32, bf16, got 'fp16'"},
      {"models.slow.psd_slowness=both", "models.slow.psd_slowness: expected one of encoder, inference, got 'both'"},
      {"models.slow.training=psd --set models.slow.psd_slowness=inference",
       "models.slow.psd_slowness: expected encoder with slowness: normalized (the inference's energy takes the paper's l1 term), got inference"},
  };
  for (const auto& [assignment, message] : cases) {
    const auto r = run(vidssl() + " run " + config("clip-slow.yaml") + " --display none --out " +
                       test::scratch_dir("cli-bounds") + "/run --set " + assignment);
    EXPECT_EQ(r.status, 2) << assignment << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << assignment << ": " << r.err;
    EXPECT_EQ(count_lines_with(r.err, ""), 1) << r.err;
  }
}

// A rate that ruins the model in one step: every checkpoint due is refused (the weights are unfit),
// each rollback halves the rate, and the run gives up with one line naming the cause; nothing
// ruined is ever written.
TEST(VidsslCli, ARunThatKeepsDivergingEndsNonZeroWithoutWritingARuinedCheckpoint) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-diverge") + "/run";
  const auto r = run(small_run(out, 60, "--set models.slow.train.optimizer=sgd --set models.slow.train.lr=1000 "
                                        "--set models.slow.train.checkpoint_every=1"));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("stage 'slow': training diverged after 3 rollbacks (train.max_rollbacks)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lower train.lr"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/slow/checkpoints") && !fs::is_empty(out + "/slow/checkpoints")) << "a ruined state was written";
  EXPECT_EQ(count_lines_with(read_all(out + "/metrics.jsonl"), "\"event\": \"restored\""), 3);
}

// SGD at 0.2 diverges within ten steps on this clip (0.1 trains); one rollback halves the rate and
// the model trains on to a loss like a run started at 0.1.
TEST(VidsslCli, AModeratelyHighRateRecoversAfterARollback) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-recover") + "/run";
  const auto r = run(small_run(out, 150, "--set models.slow.train.optimizer=sgd --set models.slow.train.lr=0.2 "
                                         "--set models.slow.train.checkpoint_every=10"));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string metrics = read_all(out + "/metrics.jsonl");
  EXPECT_GE(count_lines_with(metrics, "\"event\": \"restored\""), 1) << metrics;
  EXPECT_NE(metrics.find("\"lr_scale\": 0.5"), std::string::npos);
  double last_loss = -1;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);)
    if (const auto at = line.find("\"loss\": "); at != std::string::npos && line.find("\"step\"") != std::string::npos)
      last_loss = std::stod(line.substr(at + 8));
  EXPECT_GT(last_loss, 0);
  EXPECT_LT(last_loss, 0.3) << "trained on after the rollback (0.41 at the start; 0.2 when 0.1 is used from the start)";
  EXPECT_TRUE(fs::exists(out + "/slow/checkpoints") && !fs::is_empty(out + "/slow/checkpoints"));
}

// A disk that takes no more than a few kB per file (ulimit -f, SIGXFSZ ignored, as a nearly full
// disk): the run stops at start with one line naming what could not be written.
TEST(VidsslCli, AFolderWithoutRoomIsOneLineAtStart) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto limited = [](int kilobytes, const std::string& command) {
    return "trap '' XFSZ; ulimit -f " + std::to_string(kilobytes) + "; exec " + command;
  };
  std::string out = test::scratch_dir("cli-room") + "/run";
  // ulimit -f counts 512-byte blocks in dash, 1 kB in bash: config.yaml (1.2 kB) fits either way; a
  // first checkpoint (17 kB) does not.
  auto r = run(limited(20, small_run(out, 50)));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("\nerror: " + out + ": no room for a checkpoint of "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" kB (File too large): free some space or choose another --out\n"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines_with(r.err, "error"), 1) << r.err;
  EXPECT_FALSE(fs::exists(out + "/.room-for-a-checkpoint"));

  out = test::scratch_dir("cli-room") + "/run";
  r = run(limited(1, small_run(out, 50)));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err, "error: " + out + "/config.yaml: cannot write (File too large)\n");
}

// A disk that fills during the run: checkpoints (a replay buffer of 2 clips: 60 kB a file at most) and the log fit
// under the limit, the live view's video (a 960-pixel canvas: tens of kB a frame, ten a second) soon
// does not. The run stops with one line naming the video, after the model's final checkpoint.
TEST(VidsslCli, ALiveViewThatNoLongerFitsStopsTheRunNamingTheVideo) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const std::string out = test::scratch_dir("cli-video-full") + "/run";
  // 400 blocks: 200 kB under dash, 400 kB under bash.
  const auto r = run("trap '' XFSZ; ulimit -f 400; exec " +
                     small_run(out, 2000, "--set models.slow.train.replay_capacity=2", "video:" + out + "/live.avi"));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("error " + out + "/live.avi: cannot write a video frame (File too large)\n"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines_with(r.err, "error"), 1) << r.err;
  EXPECT_TRUE(fs::exists(out + "/slow/checkpoints") && !fs::is_empty(out + "/slow/checkpoints"));
}

// A file resampled to 1000 frames/s and paced as a camera would deliver them, into a model that
// takes 5 steps a frame (tens of ms on any CPU, against 1 ms per frame), on block edges of 2: the
// source falls seconds behind the clock whatever the machine, and the status lines and metrics
// say by how much.
TEST(VidsslCli, ARealtimeSourceHeldBackByBlockEdgesSaysHowFarBehindItIs) {
  if (!have_vtest()) GTEST_SKIP() << "vtest.avi (opencv-doc) not installed";
  const auto out = test::scratch_dir("cli-behind") + "/run";
  const auto r = run(small_run(out, 200, "--set source.realtime=true --set source.fps=1000 --set models.slow.train.steps_per_frame=5 "
                                         "--set source.edge.capacity=2 --set models.slow.edge.capacity=2 "
                                         "--set run.report_every=0.5"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find(" behind the clock: models on block edges hold it back"), std::string::npos) << r.err;
  EXPECT_GE(count_lines_with(read_all(out + "/metrics.jsonl"), "\"event\": \"source_behind\""), 1);
}

// A 64×48 mono Y4M header and frames first … first + count − 1 of a drifting pattern.
void write_y4m_frames(FILE* f, int first, int count) {
  std::fputs("YUV4MPEG2 W64 H48 F30:1 Ip A1:1 Cmono\n", f);
  std::vector<unsigned char> frame(64 * 48);
  for (int k = first; k < first + count; ++k) {
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 64; ++x) frame[y * 64 + x] = static_cast<unsigned char>(((x + 2 * k) * 16 + y * 5) % 256);
    std::fputs("FRAME\n", f);
    std::fwrite(frame.data(), 1, frame.size(), f);
  }
  std::fflush(f);
}

// A FIFO at `path` and a thread that writes it (`write(path)`). The destructor lets a writer still
// waiting in its open go (nothing reads the FIFO any more), and joins it.
class FifoWriter {
 public:
  FifoWriter(std::string path, std::function<void(const std::string&)> write) : path_(std::move(path)) {
    std::signal(SIGPIPE, SIG_IGN);  // a reader that went away makes a write fail, not kill the test
    fs::remove(path_);
    if (mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + path_);
    writer_ = std::thread([this, write = std::move(write)] { write(path_); });
  }
  ~FifoWriter() {
    const int unblock = open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    writer_.join();
    if (unblock >= 0) close(unblock);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::thread writer_;
};

// A Y4M stream on a FIFO whose writer sends `frames` frames of a drifting pattern (64×48, mono)
// and then stops sending without closing, as a stopped (not dead) producer does. The writer
// closes when the test ends.
class StalledFifo {
 public:
  StalledFifo(std::string path, int frames)
      : writer_(std::move(path), [this, frames](const std::string& fifo) {
          FILE* f = std::fopen(fifo.c_str(), "wb");  // waits for vidssl to open it
          if (!f) return;
          write_y4m_frames(f, 0, frames);
          std::unique_lock<std::mutex> lock(mutex_);
          done_changed_.wait(lock, [&] { return done_; });
          std::fclose(f);
        }) {}
  ~StalledFifo() {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    done_changed_.notify_all();
  }
  const std::string& path() const { return writer_.path(); }

 private:
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  FifoWriter writer_;  // last: destroyed (joined) once done_ is set
};

std::string fifo_run(const std::string& fifo, const std::string& out, const std::string& extra) {
  return vidssl() + " run " + config("clip-slow.yaml") + " --out " + out + " --display none --set source.path=" + fifo +
         " --set source.width=0 --set source.height=0 --set models.slow.filters=8 --set models.slow.train.batch=2 " +
         "--set run.threads=1 " + extra;
}

// A live stream that freezes ends the run: the model trains on what it got, checkpoints, and the
// run exits 1 naming the source, instead of hanging for good.
TEST(VidsslCli, AStreamThatStopsSendingEndsTheRunAfterAFinalCheckpoint) {
  const auto dir = test::scratch_dir("cli-stall");
  StalledFifo fifo(dir + "/stream.y4m", 12);
  const auto r = run(fifo_run(fifo.path(), dir + "/run", "--set source.stall_timeout=1"));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("source Y4M " + fifo.path()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no frame for 1.0 s (source.stall_timeout)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("slow: 12 frames"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("slow: checkpoint "), std::string::npos) << r.err;
  EXPECT_NE(read_all(dir + "/run/metrics.jsonl").find("\"event\": \"source_stalled\""), std::string::npos);
}

// A FIFO nobody has opened for writing blocks the open itself, which nothing can interrupt: the
// run ends with one line when source.stall_timeout passes, before anything trains.
TEST(VidsslCli, AStreamNobodyWritesToEndsTheRunAtTheStallTimeout) {
  const auto dir = test::scratch_dir("cli-no-writer");
  const std::string fifo = dir + "/stream.y4m";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto r = run(fifo_run(fifo, dir + "/run", "--set source.stall_timeout=1"));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("source " + fifo + ": not open after 1.0 s (source.stall_timeout): nothing sends to it"), std::string::npos)
      << r.err;
}

// Ctrl-C while the source is blocked in a read of a silent stream: the run ends well within the
// stall timeout, with its final checkpoint, exit 0.
TEST(VidsslCli, InterruptEndsARunWhoseSourceIsBlockedInARead) {
  const auto dir = test::scratch_dir("cli-stall-sigint");
  StalledFifo fifo(dir + "/stream.y4m", 12);
  // The last frame sent is 11: once the model reports it, the source waits for more.
  const auto r = interrupt_on_cue(fifo_run(fifo.path(), dir + "/run", "--set source.stall_timeout=600 --set run.report_every=0.1"),
                                  "| frame 11 ");
  const std::string& seen = r.err;
  ASSERT_TRUE(r.cued) << seen;
  EXPECT_EQ(r.status, 0) << seen;
  EXPECT_LT(r.seconds, 60.0) << "ended by the interrupt, not by the 600 s stall timeout";
  EXPECT_NE(seen.find("is still blocked in a read: left behind"), std::string::npos) << seen;
  EXPECT_NE(seen.find("slow: checkpoint "), std::string::npos) << seen;
}

// A producer that restarts: a writer sends `first` frames and closes the FIFO (as a camera
// process that exits does); `pause_s` later a second writer sends `second` more and closes. The
// pause is the outage under test, not a wait for something to happen.
class RestartingFifo {
 public:
  RestartingFifo(std::string path, int first, double pause_s, int second)
      : writer_(std::move(path), [first, pause_s, second](const std::string& fifo) {
          if (FILE* f = std::fopen(fifo.c_str(), "wb")) {  // waits for vidssl to open it
            write_y4m_frames(f, 0, first);
            std::fclose(f);
          }
          std::this_thread::sleep_for(std::chrono::duration<double>(pause_s));
          if (FILE* f = std::fopen(fifo.c_str(), "wb")) {  // waits for vidssl to reopen it
            write_y4m_frames(f, first, second);
            std::fclose(f);
          }
        }) {}
  const std::string& path() const { return writer_.path(); }

 private:
  FifoWriter writer_;
};

int count_in(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A live stream whose producer restarts: the source notices the gap within a second (status
// line, source_lost in metrics), waits for the new writer, reads its header and goes on with a
// new clip; the model waits and then trains on the frames after the outage.
TEST(VidsslCli, ALiveStreamThatEndsIsReopenedAndTheRunGoesOn) {
  const auto dir = test::scratch_dir("cli-reopen");
  RestartingFifo fifo(dir + "/stream.y4m", 10, 1.6, 10);
  const auto r = run(fifo_run(fifo.path(), dir + "/run", "--max-frames 20 --set run.report_every=0.2 --set source.stall_timeout=1"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find(fifo.path() + ": the writer closed the stream after 10 frames; waiting for the next one"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(": reopened after "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("s: reopening it; the models wait for it"), std::string::npos) << "the status line" << r.err;
  EXPECT_NE(r.err.find("slow: 20 frames"), std::string::npos) << r.err;
  const std::string metrics = read_all(dir + "/run/metrics.jsonl");
  EXPECT_EQ(count_in(metrics, "\"event\": \"source_lost\""), 1) << metrics;
  EXPECT_EQ(count_in(metrics, "\"event\": \"source_back\""), 1) << metrics;
  EXPECT_EQ(count_in(metrics, "\"event\": \"source_stalled\""), 0) << "waiting for a writer is not a stall";
  EXPECT_NE(metrics.find("\"frame\": 19"), std::string::npos) << "the frames after the outage are trained on";
}

// --resume on a live stream starts from the live frame: a camera cannot be rewound, so the frames
// a checkpoint saw are not read and thrown away; the new frames are numbered on from there.
TEST(VidsslCli, ResumeOnALiveStreamStartsFromTheLiveFrame) {
  const auto dir = test::scratch_dir("cli-live-resume");
  {
    RestartingFifo fifo(dir + "/stream.y4m", 12, 0, 0);
    const auto r = run(fifo_run(fifo.path(), dir + "/run", "--max-frames 12"));
    ASSERT_EQ(r.status, 0) << r.err;
  }
  RestartingFifo fifo(dir + "/stream.y4m", 8, 0, 0);
  const auto r = run(fifo_run(fifo.path(), dir + "/run", "--resume --max-frames 8"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("slow: 8 frames"), std::string::npos) << "none thrown away" << r.err;
  const std::string metrics = read_all(dir + "/run/metrics.jsonl");
  EXPECT_NE(metrics.find("\"frame\": 19"), std::string::npos) << "numbered on from frame 12" << metrics;
  EXPECT_EQ(metrics.find("\"frame\": 20"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace vidssl
