#include "cadenza/pipeline/train_generator_job.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/generate/corpus.hpp"
#include "cadenza/generate/generator_training.hpp"
#include "cadenza/jobs/job_context.hpp"

namespace cadenza::pipeline {
namespace {

using nlohmann::json;

json payload_schema() {
  using namespace schema;
  return object({{"minutes", with(number(0.01, 24 * 60), "description", "train this long (default 40; tiny 0.1)")},
                 {"steps", with(integer(1, 10'000'000), "description", "or this many steps")},
                 {"tiny", with(boolean(), "description", "the tiny configuration (a check of the path, not a model)")}});
}

json result_schema() {
  using namespace schema;
  auto n = number(0, 1e18);
  return object({{"file", string(4096, 1), Required},
                 {"steps", integer(0, INT64_MAX), Required},
                 {"seconds", n, Required},
                 {"epochs", n},
                 {"parameters", integer(0, INT64_MAX)},
                 {"trainTokens", integer(0, INT64_MAX)},
                 {"validLosses", array(n, 0, 100000)},
                 {"validNll", object({}, true)}});
}

}  // namespace

jobs::JobKind train_generator_kind(const config::Config& config) {
  jobs::JobKind k;
  k.name = kTrainGeneratorKind;
  k.lane = jobs::Lane::Training;
  k.submittable = false;  // POST /api/admin/generator/train (the operator) starts it
  k.summary = "Trains the transformer generator on the Nottingham and JSB corpus and writes its best checkpoint";
  k.payload_schema = payload_schema();
  k.result_schema = result_schema();
  const std::string data_dir = config.storage.data_dir;
  const generate::CorpusOptions corpus_options{config.generate.nottingham_dir, config.generate.jsb_json};
  k.run = [data_dir, corpus_options](jobs::JobContext& ctx) -> json {
    const auto& p = ctx.payload();
    schema::check(payload_schema(), p, "payload");
    if (p.contains("minutes") && p.contains("steps"))
      throw Error(ErrorKind::BadRequest, "Validation failed", {{"payload.steps", "give minutes or steps, not both"}});
    for (const auto& path : {corpus_options.nottingham_dir, corpus_options.jsb_json})
      if (!std::filesystem::exists(path))
        throw Error(ErrorKind::Unprocessable, "The training corpus is not at " + path +
                                                  " (generate.nottingham_dir, generate.jsb_json)");
    generate::GeneratorTrainOptions o;
    o.size = p.value("tiny", false) ? generate::GeneratorSize::Tiny : generate::GeneratorSize::Small;
    o.steps = p.value("steps", int64_t(0));
    o.minutes = p.contains("minutes") ? p["minutes"].get<double>() : o.steps > 0 ? 0 : (p.value("tiny", false) ? 0.1 : 40);
    o.threads = ctx.threads();
    const auto dir = std::filesystem::path(data_dir) / "models";
    std::filesystem::create_directories(dir);
    o.out = dir / ("generator-" + ctx.job().id + ".bin");
    ctx.progress(0.0, "reading the corpus");
    const auto corpus = generate::load_corpus(corpus_options);
    const auto r = generate::train_generator(
        corpus, o, [&ctx](double f, std::string_view stage) { ctx.progress(f, stage); }, [&ctx] { return ctx.cancelled(); });
    if (ctx.cancelled()) throw Error(ErrorKind::Conflict, "The job was cancelled");
    spdlog::info("train_generator: {} steps in {:.0f} s, valid NLL per note {:.3f} -> {}", r.steps, r.seconds,
                 r.best.nll.per_note, o.out.string());
    return {{"file", std::filesystem::absolute(o.out).string()},
            {"steps", r.steps},
            {"seconds", r.seconds},
            {"epochs", r.epochs},
            {"parameters", r.parameters},
            {"trainTokens", r.train_tokens},
            {"validLosses", r.valid_losses},
            {"validNll", {{"perNote", r.best.nll.per_note},
                          {"time", r.best.nll.per_field[0]},
                          {"pitch", r.best.nll.per_field[1]},
                          {"duration", r.best.nll.per_field[2]},
                          {"velocity", r.best.nll.per_field[3]},
                          {"type", r.best.type_per_note}}}};
  };
  return k;
}

}  // namespace cadenza::pipeline
