// CPU reference for concatenation, index_select / index_add, gather / scatter_add and
// one_hot (kernels/shape.h).
//
// The backwards that add (index_add, scatter_add) never let two threads write one
// element: work is split along the dims the index does not address, and each thread
// walks the indexed dim in order. Sums over duplicate indices therefore come out in the
// same order, bit for bit, whatever the thread count.
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/error.h"
#include "kernels/cpu/parallel.h"
#include "kernels/shape.h"

namespace fovea::kernels::cpu {

namespace {

// visit(W{}) with W an unsigned word of `elem_size` bytes: data movement needs no more
// than the size of an element.
template <typename Visitor>
void visit_word(int64_t elem_size, Visitor&& visit) {
  switch (elem_size) {
    case 1:
      return visit(uint8_t{});
    case 2:
      return visit(uint16_t{});
    case 4:
      return visit(uint32_t{});
    case 8:
      return visit(uint64_t{});
    default:
      fail("shape kernels: unsupported element size {} bytes", elem_size);
  }
}

template <typename T>
void parallel_zero(T* data, int64_t n) {
  parallel_for(n, 1,
               [&](int64_t begin, int64_t end) { std::fill(data + begin, data + end, T(0)); });
}

// The positions of the index with the gathered dim left out: each is a line that walks
// the gathered dim, in the index (and output) and in the source.
class GatherLines {
 public:
  explicit GatherLines(const GatherShape& s) : s_(s), len_(s.index_shape[s.dim]) {
    int64_t index_stride = 1, src_stride = 1, index_numel = 1;
    for (int d = s.ndim - 1; d >= 0; --d) {
      index_strides_[d] = index_stride;
      src_strides_[d] = src_stride;
      index_stride *= s.index_shape[d];
      src_stride *= s.src_shape[d];
      index_numel *= s.index_shape[d];
    }
    count_ = index_numel == 0 ? 0 : index_numel / len_;
  }
  int64_t count() const { return count_; }
  int64_t len() const { return len_; }
  int64_t index_step() const { return index_strides_[s_.dim]; }
  int64_t src_step() const { return src_strides_[s_.dim]; }

  // Offsets of line `line`'s first element in the index and in the source.
  std::pair<int64_t, int64_t> start(int64_t line) const {
    int64_t rest = line, index_offset = 0, src_offset = 0;
    for (int d = s_.ndim - 1; d >= 0; --d) {
      if (d == s_.dim) continue;
      const int64_t coord = rest % s_.index_shape[d];
      rest /= s_.index_shape[d];
      index_offset += coord * index_strides_[d];
      src_offset += coord * src_strides_[d];
    }
    return {index_offset, src_offset};
  }

 private:
  const GatherShape& s_;
  int64_t len_ = 0, count_ = 0;
  int64_t index_strides_[kMaxDims] = {}, src_strides_[kMaxDims] = {};
};

}  // namespace

void cat_rows(void* out, int64_t rows, const CatInput* inputs, int64_t count) {
  std::vector<int64_t> starts(count + 1, 0);  // where each input begins within an output row
  for (int64_t k = 0; k < count; ++k) starts[k + 1] = starts[k] + inputs[k].row_bytes;
  const int64_t row_bytes = starts[count];
  if (rows == 0 || row_bytes == 0) return;
  auto next_nonempty = [&](int64_t k) {
    while (k < count && inputs[k].row_bytes == 0) ++k;
    return k;
  };
  char* dst = static_cast<char*>(out);
  parallel_for(rows * row_bytes, 1, [&](int64_t begin, int64_t end) {
    int64_t row = begin / row_bytes, col = begin % row_bytes;
    // The input owning byte `col` (upper_bound steps over empty inputs).
    int64_t k = std::upper_bound(starts.begin(), starts.end(), col) - starts.begin() - 1;
    for (int64_t pos = begin; pos < end;) {
      const CatInput& in = inputs[k];
      const int64_t within = col - starts[k];
      const int64_t n = std::min(end - pos, in.row_bytes - within);
      std::memcpy(dst + pos, static_cast<const char*>(in.data) + row * in.row_bytes + within, n);
      pos += n;
      col += n;
      if (col == starts[k + 1]) {
        k = next_nonempty(k + 1);
        if (k == count) {
          k = next_nonempty(0);
          col = 0;
          ++row;
        }
      }
    }
  });
}

void index_select(const void* src, const int64_t* index, void* out, const IndexSelectShape& s,
                  int64_t elem_size) {
  const int64_t block = s.inner * elem_size;
  const char* in = static_cast<const char*>(src);
  char* dst = static_cast<char*>(out);
  parallel_for(s.outer * s.index_len, s.inner, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t o = r / s.index_len, j = r % s.index_len;
      std::memcpy(dst + r * block, in + (o * s.src_size + index[j]) * block, block);
    }
  });
}

template <typename T>
void index_add(const T* grad_out, const int64_t* index, T* grad_src, const IndexSelectShape& s) {
  // A thread owns the columns [c0, c1) of one outer slice of grad_src.
  constexpr int64_t kColumns = 256;
  const int64_t pieces = (s.inner + kColumns - 1) / kColumns;
  const int64_t width = std::min(s.inner, kColumns);
  parallel_for(s.outer * pieces, (s.index_len + s.src_size) * width,
               [&](int64_t begin, int64_t end) {
                 for (int64_t item = begin; item < end; ++item) {
                   const int64_t o = item / pieces, c0 = (item % pieces) * kColumns;
                   const int64_t c1 = std::min(s.inner, c0 + kColumns);
                   T* slice = grad_src + o * s.src_size * s.inner;
                   for (int64_t r = 0; r < s.src_size; ++r)
                     std::fill(slice + r * s.inner + c0, slice + r * s.inner + c1, T(0));
                   for (int64_t j = 0; j < s.index_len; ++j) {
                     const T* g = grad_out + (o * s.index_len + j) * s.inner;
                     T* dst = slice + index[j] * s.inner;
                     for (int64_t c = c0; c < c1; ++c) dst[c] += g[c];
                   }
                 }
               });
}

void gather(const void* src, const int64_t* index, void* out, const GatherShape& s,
            int64_t elem_size) {
  const GatherLines lines(s);
  const int64_t index_step = lines.index_step(), src_step = lines.src_step();
  visit_word(elem_size, [&](auto word) {
    using W = decltype(word);
    const W* in = static_cast<const W*>(src);
    W* dst = static_cast<W*>(out);
    parallel_for(lines.count(), lines.len(), [&](int64_t begin, int64_t end) {
      for (int64_t line = begin; line < end; ++line) {
        const auto [index_offset, src_offset] = lines.start(line);
        for (int64_t j = 0; j < lines.len(); ++j) {
          const int64_t at = index_offset + j * index_step;
          dst[at] = in[src_offset + index[at] * src_step];
        }
      }
    });
  });
}

template <typename T>
void scatter_add(const T* grad_out, const int64_t* index, T* grad_src, const GatherShape& s) {
  int64_t src_numel = 1;
  for (int d = 0; d < s.ndim; ++d) src_numel *= s.src_shape[d];
  parallel_zero(grad_src, src_numel);
  const GatherLines lines(s);
  const int64_t index_step = lines.index_step(), src_step = lines.src_step();
  // Lines differ in a dim other than the gathered one, so no two lines write one element.
  parallel_for(lines.count(), lines.len(), [&](int64_t begin, int64_t end) {
    for (int64_t line = begin; line < end; ++line) {
      const auto [index_offset, src_offset] = lines.start(line);
      for (int64_t j = 0; j < lines.len(); ++j) {
        const int64_t at = index_offset + j * index_step;
        grad_src[src_offset + index[at] * src_step] += grad_out[at];
      }
    }
  });
}

void one_hot(const int64_t* indices, int64_t count, int64_t num_classes, int64_t* out) {
  parallel_for(count, num_classes, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      int64_t* row = out + k * num_classes;
      std::fill(row, row + num_classes, int64_t{0});
      row[indices[k]] = 1;
    }
  });
}

template void index_add<float>(const float*, const int64_t*, float*, const IndexSelectShape&);
template void index_add<double>(const double*, const int64_t*, double*, const IndexSelectShape&);
template void scatter_add<float>(const float*, const int64_t*, float*, const GatherShape&);
template void scatter_add<double>(const double*, const int64_t*, double*, const GatherShape&);

}  // namespace fovea::kernels::cpu
