// The device table cache of engine/ops/cuda/table_cache.h.
#include "engine/ops/cuda/table_cache.h"

#include <map>
#include <mutex>
#include <utility>

namespace fovea::cuda {

TensorList cached_tables(const TableKey& key, Device device,
                         const std::function<TensorList()>& build) {
  static std::mutex mutex;
  // Leaked on purpose: destroying it at exit would free device memory after the CUDA
  // runtime may already be gone.
  static auto* cache = new std::map<TableKey, TensorList>();
  TableKey full = key;
  full.push_back(device.index);
  std::lock_guard<std::mutex> lock(mutex);
  if (auto found = cache->find(full); found != cache->end()) return found->second;
  if (cache->size() >= kMaxTables) cache->clear();  // the callers' copies stay alive
  TensorList tables = build();
  cache->emplace(std::move(full), tables);
  return tables;
}

}  // namespace fovea::cuda
