#pragma once
// WebhookSender: delivers the webhook outbox (store/webhook_repo.hpp) of every tenant database. One
// thread; every due delivery is POSTed with
//   X-Cadenza-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the owner's secret>
//   X-Cadenza-Delivery:  <the delivery's id, the same on every attempt>
// A 2xx within webhooks.timeout_s is delivered; anything else is retried after about
// backoff_s * 2^(attempts-1), with ±50 % jitter, until webhooks.max_attempts, then failed. The outbox
// is durable, so retries go on after a restart. The address rules of net.allow_networks apply.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "cadenza/config/config.hpp"
#include "cadenza/net/address_rules.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/webhook_repo.hpp"

namespace cadenza::pipeline {

// "t=<t>,v1=<hex>": what a receiver recomputes to check a delivery.
std::string webhook_signature(const std::string& secret, std::int64_t unix_seconds, const std::string& body);

class WebhookSender {
 public:
  WebhookSender(store::TenantDbs& tenants, const config::WebhookConfig& config, net::AddressRules rules);
  ~WebhookSender();  // stop()
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void start();  // the thread: a pass every poll interval, or sooner after wake()
  void stop();   // idempotent; an attempt in flight finishes first (at most timeout_s)
  void wake();   // a delivery was written
  // One pass over every tenant database: attempts each due delivery once; returns the attempts made.
  int deliver_due();

 private:
  void attempt(store::Database& db, const store::DeliveryRecord& d);
  void loop();

  store::TenantDbs& tenants_;
  config::WebhookConfig config_;
  net::AddressRules rules_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace cadenza::pipeline
