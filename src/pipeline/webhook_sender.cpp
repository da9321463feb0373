#include "cadenza/pipeline/webhook_sender.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <random>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/net/http_client.hpp"

namespace cadenza::pipeline {
namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(500);
}

std::string webhook_signature(const std::string& secret, std::int64_t unix_seconds, const std::string& body) {
  const auto t = std::to_string(unix_seconds);
  return "t=" + t + ",v1=" + crypto::hex(crypto::hmac_sha256(secret, t + "." + body));
}

WebhookSender::WebhookSender(store::TenantDbs& tenants, const config::WebhookConfig& config, net::AddressRules rules)
    : tenants_(tenants), config_(config), rules_(std::move(rules)) {}

WebhookSender::~WebhookSender() { stop(); }

void WebhookSender::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void WebhookSender::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookSender::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void WebhookSender::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kPollInterval, [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    try {
      deliver_due();
    } catch (const std::exception& e) {
      spdlog::warn("webhooks: {}", e.what());
    }
  }
}

int WebhookSender::deliver_due() {
  int attempts = 0;
  for (const auto& tenant : tenants_.existing()) {
    auto& db = tenants_.get(tenant);
    for (const auto& d : store::webhook_repo::due(db, now_ms(), 50)) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return attempts;
      }
      attempt(db, d);
      ++attempts;
    }
  }
  return attempts;
}

void WebhookSender::attempt(store::Database& db, const store::DeliveryRecord& d) {
  auto secret = db.read([&](store::Db& conn) { return store::webhook_repo::secret(conn, d.owner_id); });
  if (!secret) {  // the account removed meanwhile: nothing can sign it
    store::webhook_repo::record_attempt(db, d.id, store::DeliveryState::Failed, 0, "the account has no webhook secret", 0);
    return;
  }
  const auto t = now_ms() / 1000;
  auto result = net::post_json(d.url, d.body,
                               {{"X-Cadenza-Signature", webhook_signature(*secret, t, d.body)},
                                {"X-Cadenza-Delivery", d.id},
                                {"User-Agent", "Cadenza-Webhooks/0.1"}},
                               config_.timeout_s, rules_);
  if (result.status >= 200 && result.status < 300) {
    store::webhook_repo::record_attempt(db, d.id, store::DeliveryState::Delivered, static_cast<int>(result.status), "", 0);
    return;
  }
  const std::string why = result.status == 0 ? result.error : fmt::format("the receiver answered {}", result.status);
  const int attempts = d.attempts + 1;
  if (attempts >= config_.max_attempts) {
    spdlog::warn("webhooks: delivery {} to {} failed after {} attempts: {}", d.id, d.url, attempts, why);
    store::webhook_repo::record_attempt(db, d.id, store::DeliveryState::Failed, static_cast<int>(result.status), why, 0);
    return;
  }
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  const double delay_s = config_.backoff_s * std::pow(2.0, attempts - 1) * jitter(rng);
  store::webhook_repo::record_attempt(db, d.id, store::DeliveryState::Pending, static_cast<int>(result.status), why,
                                      now_ms() + static_cast<std::int64_t>(delay_s * 1000));
}

}  // namespace cadenza::pipeline
