// A fixed set of worker threads that run "for task in [0, tasks): fn(task, thread)" with the
// calling thread taking part as thread 0. Tasks are handed out by an atomic counter, so which
// thread runs a task varies; callers make the result independent of that (each task writes only
// its own output, and outputs are combined in task order afterwards).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace specbias {

class ThreadPool {
 public:
  /** `threads` counts the caller: threads - 1 workers are started. */
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /** Runs fn(task, thread) for every task and returns when all are done. Not reentrant. */
  void run(int tasks, const std::function<void(int, int)>& fn);

 private:
  void workerLoop(int id);
  void drain(int id);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(int, int)>* fn_ = nullptr;
  int tasks_ = 0;
  std::atomic<int> next_{0};
  std::atomic<uint64_t> generation_{0};
  int busy_ = 0;
  bool stop_ = false;
};

}  // namespace specbias
