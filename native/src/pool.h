// A small pool of helper threads for the kernels: a call is split into parts, the calling thread runs
// part 0 and helper i part i. Helpers spin briefly after a job (calls come in quick succession during
// training), then sleep until the next one.
#pragma once
#include <functional>

namespace rnnkit {

/**
 * Runs f(0) … f(parts − 1), at most one part per thread, the calling thread's first; returns when all are
 * done. Where the pool is busy (a call from another JavaScript thread), runs them all here, in order.
 */
void parallel(int parts, const std::function<void(int)>& f);

}  // namespace rnnkit
