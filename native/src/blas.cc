#include "blas.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#ifdef SPECBIAS_HAVE_LAPACK
#include <dlfcn.h>
#endif

#define SB_BLAS_STR2(x) #x
#define SB_BLAS_STR(x) SB_BLAS_STR2(x)

namespace specbias {

namespace {

int hardwareThreads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

std::atomic<int> budget{0};          // 0: not set, one per hardware thread
std::mutex callMutex;                // BLAS calls run one at a time
int threadsSet = -1;                 // what openblas_set_num_threads was last given (under callMutex)

// OpenBLAS's extras, found at run time in the library that holds dsyevd: a reference LAPACK has
// none of them, and the addon must load and solve there too.
struct OpenBlasApi {
  std::string library;
  char* (*getConfig)() = nullptr;
  char* (*getCorename)() = nullptr;
  int (*getNumThreads)() = nullptr;
  int (*getParallel)() = nullptr;
  void (*setNumThreads)(int) = nullptr;
};

const OpenBlasApi& openBlas() {
  static OpenBlasApi api;
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef SPECBIAS_HAVE_LAPACK
    Dl_info where{};
    if (!dladdr(reinterpret_cast<void*>(&SB_BLAS(dsyevd_)), &where) || !where.dli_fname) return;
    api.library = where.dli_fname;
    void* lib = dlopen(where.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (!lib) return;
    const std::string prefix = SB_BLAS_STR(SPECBIAS_BLAS_PREFIX);
    auto find = [&](const char* name) { return dlsym(lib, (prefix + name).c_str()); };
    api.getConfig = reinterpret_cast<char* (*)()>(find("openblas_get_config"));
    api.getCorename = reinterpret_cast<char* (*)()>(find("openblas_get_corename"));
    api.getNumThreads = reinterpret_cast<int (*)()>(find("openblas_get_num_threads"));
    api.getParallel = reinterpret_cast<int (*)()>(find("openblas_get_parallel"));
    api.setNumThreads = reinterpret_cast<void (*)(int)>(find("openblas_set_num_threads"));
    // The handle stays open: the library is a dependency of this addon and is never unloaded.
#endif
  });
  return api;
}

int currentBudget() {
  const int b = budget.load();
  return b > 0 ? b : hardwareThreads();
}

/**
 * Gives OpenBLAS the budget; under callMutex. The count changes only when the budget does (on
 * load): resizing OpenBLAS's pool between calls made from different threads once left dsyevd
 * spinning forever in exec_blas_async_wait, so training runs in flight no longer lower it.
 */
void applyThreads(const OpenBlasApi& api) {
  const int want = currentBudget();
  if (api.setNumThreads && want != threadsSet) {
    api.setNumThreads(want);
    threadsSet = want;
  }
}

}  // namespace

BlasInfo blasInfo() {
  const OpenBlasApi& api = openBlas();
  BlasInfo info;
  info.library = api.library;
  info.prefix = SB_BLAS_STR(SPECBIAS_BLAS_PREFIX);
  if (api.getConfig) info.config = api.getConfig();
  if (api.getCorename) info.corename = api.getCorename();
  if (api.getParallel) info.parallel = api.getParallel();
  info.budget = currentBudget();
  // No callMutex here: info() runs on the JavaScript thread and must not wait for a solve.
  if (api.setNumThreads) info.threads = currentBudget();
  if (api.getNumThreads) info.openblasThreads = api.getNumThreads();
  return info;
}

void setBlasThreadBudget(int threads) { budget.store(threads > 0 ? threads : 0); }

BlasCall::BlasCall() {
  callMutex.lock();
  applyThreads(openBlas());
}

BlasCall::~BlasCall() { callMutex.unlock(); }


}  // namespace specbias
