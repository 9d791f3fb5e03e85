#include "pool.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace rnnkit {

namespace {
inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// How long a helper keeps spinning after a job before it sleeps: long enough to catch the next call of a
// training step, short enough not to hold a core that others need.
constexpr auto SPIN = std::chrono::microseconds(200);

class Pool {
 public:
  /** Starts helpers until there are n − 1 of them. */
  void grow(int n) {
    while (static_cast<int>(helpers_) < n - 1) {
      const int id = static_cast<int>(helpers_) + 1;
      // the helper starts from the generation before the next job's, so that it cannot miss that job
      std::thread(&Pool::helper, this, id, generation_.load(std::memory_order_acquire)).detach();  // never joined: they sleep until the process ends
      helpers_++;
    }
  }

  bool run(int parts, const std::function<void(int)>& f) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    grow(parts);
    job_ = &f;
    parts_ = parts;
    // every helper answers every job, running its part or not, so that none still reads this one's fields when the next begins
    pending_.store(static_cast<int>(helpers_), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> l(sleep_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    f(0);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; pending_.load(std::memory_order_acquire) > 0; i++) {
      // a helper descheduled on a busy machine: stop burning the core it may be waiting for
      if ((i & 255) == 255 && std::chrono::steady_clock::now() - t0 > SPIN) std::this_thread::yield();
      else relax();
    }
    job_ = nullptr;
    return true;
  }

 private:
  void helper(int id, uint64_t seen) {
    for (;;) {
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; generation_.load(std::memory_order_acquire) == seen; i++) {
        if ((i & 255) == 255 && std::chrono::steady_clock::now() - t0 > SPIN) {
          std::unique_lock<std::mutex> l(sleep_);
          wake_.wait(l, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        } else {
          relax();
        }
      }
      seen = generation_.load(std::memory_order_acquire);
      if (id < parts_) (*job_)(id);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::mutex busy_, sleep_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(int)>* job_ = nullptr;
  int parts_ = 0;
  unsigned helpers_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached helpers may still wait on it at exit
  return *p;
}
}  // namespace

void parallel(int parts, const std::function<void(int)>& f) {
  if (parts <= 1 || !pool().run(parts, f)) {
    for (int i = 0; i < parts; i++) f(i);
  }
}

}  // namespace rnnkit
