// `cadenza train-generator --tiny` end to end: a few seconds of training lower the loss, the checkpoint
// loads and samples; bad flags are refused.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "cadenza/generate/generator_training.hpp"
#include "cadenza/generate/transformer_sampler.hpp"
#include "cadenza/ml/generator_net.hpp"
#include "generate_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;

namespace {
int run(const std::string& args, const std::string& log) {
  const std::string cmd = std::string{CADENZA_BINARY} + " train-generator " + args + " >'" + log + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
}  // namespace

TEST_CASE("cadenza train-generator --tiny trains, lowers the loss and writes a checkpoint that loads") {
  if (!generate_test::have_data()) return;
  test::TempDir dir;
  const auto out = dir.path() / "gen.bin", log = dir.path() / "log.txt";
  REQUIRE(run("--tiny --steps 150 --validate-every 75 --lr 0.003 --out '" + out.string() + "'", log.string()) == 0);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  INFO(s);
  const auto at = s.find("train loss per token: ");
  REQUIRE(at != std::string::npos);
  double first = 0, last = 0;
  REQUIRE(std::sscanf(s.c_str() + at, "train loss per token: %lf (first 10 steps) -> %lf", &first, &last) == 2);
  CHECK(last < first - 1.0);
  CHECK(s.find("150 steps") != std::string::npos);

  auto net = ml::GeneratorNet::load(out);
  CHECK(net.config() == generate::generator_config(generate::GeneratorSize::Tiny));
  CHECK(generate::pitch_range(net, generate::Style::Chorale).first > generate::kLowestPitch);  // the metadata came along
  generate::SamplerSettings settings;
  settings.max_notes = 50;
  const auto piece = generate::sample_piece(net, {}, settings);
  CHECK(!piece.notes.empty());

  CHECK(run("--tiny --steps 5 --minutes 1", log.string()) != 0);  // one or the other
  CHECK(run("--tiny --threads 0", log.string()) != 0);
}
