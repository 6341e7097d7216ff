#include "data/loader.h"

#include "data/decode.h"
#include "kernels/error.h"

namespace fovea::data {

namespace {
constexpr uint32_t kMixStream = 0xF002;
}  // namespace

Loader::Loader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Pipeline> pipeline,
               LoaderOptions options)
    : dataset_(std::move(dataset)),
      pipeline_(std::move(pipeline)),
      options_(std::move(options)),
      sampler_(options_.sampler, *dataset_, options_.seed, options_.samples_per_epoch),
      bad_(options_.quiet) {
  FOVEA_CHECK(options_.batch_size > 0, "Loader: batch_size must be positive, got {}",
              options_.batch_size);
  FOVEA_CHECK(options_.workers >= 1, "Loader: workers must be at least 1, got {}",
              options_.workers);
  FOVEA_CHECK(
      options_.dtype == DType::f32 || options_.dtype == DType::bf16 || options_.dtype == DType::f16,
      "Loader: batches are f32, bf16 or f16, not {}", dtype_name(options_.dtype));
  if (options_.prefetch <= 0) options_.prefetch = 2 * options_.workers;
  const size_t batch_bytes = static_cast<size_t>(options_.batch_size) * pipeline_->sample_numel() *
                             dtype_size(options_.dtype);
  pool_ = HostBufferPool::create(batch_bytes, options_.pin_memory);
  for (int w = 0; w < options_.workers; ++w) workers_.emplace_back([this] { work(); });
}

Loader::~Loader() {
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

int64_t Loader::batches_per_epoch() const {
  const int64_t n = sampler_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void Loader::start_epoch(uint64_t epoch, int64_t start_batch) {
  FOVEA_CHECK(start_batch >= 0 && start_batch <= batches_per_epoch(),
              "Loader::start_epoch: batch {} requested, an epoch has {}", start_batch,
              batches_per_epoch());
  auto order = std::make_shared<const std::vector<int64_t>>(sampler_.order(epoch));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    started_ = true;
    epoch_ = epoch;
    order_ = std::move(order);
    next_claim_ = next_deliver_ = start_batch;
    end_ = batches_per_epoch();
    ready_.clear();
  }
  work_ready_.notify_all();
}

std::optional<Batch> Loader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  FOVEA_CHECK(started_, "Loader::next: call start_epoch (or set_epoch) first");
  if (next_deliver_ >= end_) return std::nullopt;
  batch_ready_.wait(lock, [this] { return ready_.count(next_deliver_) > 0; });
  Result result = std::move(ready_.extract(next_deliver_).mapped());
  ++next_deliver_;
  lock.unlock();
  work_ready_.notify_all();
  if (result.error) std::rethrow_exception(result.error);
  return std::move(result.batch);
}

void Loader::work() {
  std::vector<float> scratch;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [this] {
      return stop_ || (next_claim_ < end_ && next_claim_ < next_deliver_ + options_.prefetch);
    });
    if (stop_) return;
    const int64_t batch = next_claim_++;
    const uint64_t generation = generation_, epoch = epoch_;
    const std::shared_ptr<const std::vector<int64_t>> order = order_;
    lock.unlock();
    Result result;
    try {
      result.batch = assemble(*order, epoch, batch, scratch);
    } catch (...) {
      result.error = std::current_exception();
    }
    lock.lock();
    if (stop_) return;
    if (generation != generation_) continue;  // a newer start_epoch dropped this epoch
    ready_[batch] = std::move(result);
    batch_ready_.notify_all();
  }
}

int64_t Loader::load_into(const std::vector<int64_t>& order, uint64_t epoch, int64_t position,
                          float* out) const {
  const auto n = static_cast<int64_t>(order.size());
  for (int64_t step = 0; step < n; ++step) {
    const int64_t p = (position + step) % n;
    const int64_t index = order[p];
    if (bad_.contains(index)) continue;
    try {
      const SampleKey key{options_.seed, epoch, static_cast<uint64_t>(p)};
      pipeline_->run(dataset_->load_for(index, pipeline_->decode_need_for(key)), key, out);
      return index;
    } catch (const DecodeError& e) {
      bad_.record(index, e.what());
    }
  }
  fail("Loader: none of the {} samples of epoch {} could be read ({} bad files; see the warnings)",
       n, epoch, bad_.count());
}

Batch Loader::assemble(const std::vector<int64_t>& order, uint64_t epoch, int64_t batch_index,
                       std::vector<float>& scratch) const {
  const int64_t first = batch_index * options_.batch_size;
  const int64_t count =
      std::min<int64_t>(options_.batch_size, static_cast<int64_t>(order.size()) - first);
  const int64_t numel = pipeline_->sample_numel();
  const Shape sample = pipeline_->sample_shape();
  Batch batch;
  batch.epoch = epoch;
  batch.batch = batch_index;
  batch.images = pool_->tensor({count, sample[0], sample[1], sample[2]}, options_.dtype);
  batch.labels = make_tensor({count}, DType::i64, Device::cpu());
  float* floats = batch.images.dtype() == DType::f32 ? batch.images.data<float>() : nullptr;
  if (floats == nullptr) {
    scratch.resize(static_cast<size_t>(count * numel));
    floats = scratch.data();
  }
  int64_t* labels = batch.labels.data<int64_t>();
  for (int64_t s = 0; s < count; ++s) {
    if (stopping_) return batch;  // the loader is being destroyed: nobody will read it
    const int64_t index = load_into(order, epoch, first + s, floats + s * numel);
    batch.indices.push_back(index);
    labels[s] = dataset_->label(index);
  }
  if (options_.mixup) {
    Rng rng({options_.seed, epoch, static_cast<uint64_t>(batch_index)}, kMixStream);
    const MixDecision mix =
        draw_mix(*options_.mixup, static_cast<int>(sample[0]), static_cast<int>(sample[1]), rng);
    apply_mix(mix, floats, static_cast<int>(count), static_cast<int>(sample[0]),
              static_cast<int>(sample[1]), static_cast<int>(sample[2]));
    const int64_t classes = dataset_->num_classes();
    batch.soft_targets = make_tensor({count, classes}, DType::f32, Device::cpu());
    mixed_targets(mix, labels, static_cast<int>(count), static_cast<int>(classes),
                  options_.mixup->label_smoothing, batch.soft_targets.data<float>());
  }
  if (batch.images.dtype() != DType::f32) {
    store_as(floats, static_cast<size_t>(count * numel), options_.dtype, batch.images.raw_data());
  }
  return batch;
}

Batch Loader::make_batch(uint64_t epoch, int64_t batch) const {
  FOVEA_CHECK(batch >= 0 && batch < batches_per_epoch(),
              "Loader::make_batch: batch {} requested, an epoch has {}", batch,
              batches_per_epoch());
  std::vector<float> scratch;
  return assemble(sampler_.order(epoch), epoch, batch, scratch);
}

}  // namespace fovea::data
