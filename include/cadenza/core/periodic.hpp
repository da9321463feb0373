#pragma once
// PeriodicTask: one thread that runs a pass as it starts and then once every interval, until stop(). The
// server's background upkeep (listen retention, scheduled trainings) runs on it. A pass that throws is logged
// and the next one runs on time; stop() wakes the wait at once and waits for a pass in flight to return
// (a long pass should poll stopping()).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cadenza {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<void()> pass);
  ~PeriodicTask();  // stop()
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void start();  // idempotent; not after stop()
  void stop();   // idempotent
  bool stopping() const;
  // Passes finished so far (for tests).
  int passes() const;

 private:
  void loop();

  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> pass_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int passes_ = 0;
  std::thread thread_;
};

}  // namespace cadenza
