// The plugin ↔ worker frames of clp_wire.hpp: plain copies of fixed-size fields and arrays.
#include "clp_wire.hpp"

#include <cstring>

namespace diffqp {
namespace {

constexpr char kJobMagic[4] = {'D', 'Q', 'P', 'J'};
constexpr char kAnswerMagic[4] = {'D', 'Q', 'P', 'A'};

class Writer {
 public:
  Writer() : bytes_(kClpFrameHeader, 0) {}
  template <typename T>
  void Put(const T& v) {
    Raw(&v, sizeof(T));
  }
  template <typename T>
  void PutArray(const T* a, size_t count) {
    if (count > 0) Raw(a, count * sizeof(T));
  }
  void Raw(const void* data, size_t size) {
    const auto* b = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), b, b + size);
  }
  // The frame: its length written in front.
  std::vector<uint8_t> Finish() {
    const uint64_t length = bytes_.size() - kClpFrameHeader;
    std::memcpy(bytes_.data(), &length, sizeof(length));
    return std::move(bytes_);
  }

 private:
  std::vector<uint8_t> bytes_;
};

// Reads fields in order; once a read runs past the end, every later one fails too.
class Reader {
 public:
  Reader(const uint8_t* bytes, size_t size) : bytes_(bytes), left_(size) {}
  template <typename T>
  bool Get(T& v) {
    return Raw(&v, sizeof(T));
  }
  template <typename T>
  bool GetArray(std::vector<T>& a, int64_t count) {
    if (count < 0 || (uint64_t)count > left_ / sizeof(T)) return ok_ = false;
    a.resize((size_t)count);
    return count == 0 || Raw(a.data(), (size_t)count * sizeof(T));
  }
  bool Raw(void* out, size_t size) {
    if (!ok_ || size > left_) return ok_ = false;
    std::memcpy(out, bytes_, size);
    bytes_ += size;
    left_ -= size;
    return true;
  }
  size_t left() const { return left_; }

 private:
  const uint8_t* bytes_;
  size_t left_;
  bool ok_ = true;
};

void PutSettings(Writer& w, const ClpRunSettings& s) {
  w.Put((int32_t)s.mode);
  w.Put(s.verbose);
  w.Put(s.scaling);
  w.Put(s.perturbation);
  w.Put(s.presolve);
  w.Put(s.max_iter);
  w.Put(s.eps_abs);
  w.Put(s.time_limit);
}

bool GetSettings(Reader& r, ClpRunSettings& s) {
  int32_t mode = 0;
  const bool ok = r.Get(mode) && r.Get(s.verbose) && r.Get(s.scaling) && r.Get(s.perturbation) && r.Get(s.presolve) && r.Get(s.max_iter) &&
                  r.Get(s.eps_abs) && r.Get(s.time_limit);
  s.mode = (ClpMode)mode;
  return ok && mode >= 0 && mode <= 2;
}

// Ap[0] = 0, nondecreasing, Ap[cols] = nnz, every Ai in [0, rows).
bool CscHolds(const std::vector<int32_t>& Ap, const std::vector<int32_t>& Ai, int32_t cols, int32_t rows) {
  if ((int64_t)Ap.size() != (int64_t)cols + 1 || Ap[0] != 0 || (size_t)Ap[cols] != Ai.size()) return false;
  for (int32_t j = 0; j < cols; j++) {
    if (Ap[j + 1] < Ap[j]) return false;
  }
  for (int32_t i : Ai) {
    if (i < 0 || i >= rows) return false;
  }
  return true;
}

}  // namespace

ProblemView ClpJob::View() const {
  ProblemView p;
  p.n = n;
  p.m = m;
  p.P = {n, n, Pp.data(), Pi.data(), Px.data()};
  p.q = q.data();
  p.A = {m, n, Ap.data(), Ai.data(), Ax.data()};
  p.l = l.data();
  p.u = u.data();
  p.lb = has_lb ? lb.data() : nullptr;
  p.ub = has_ub ? ub.data() : nullptr;
  p.constant = constant;
  return p;
}

std::vector<uint8_t> EncodeClpJob(const ProblemView& p, const ClpRunSettings& s) {
  Writer w;
  w.Raw(kJobMagic, sizeof(kJobMagic));
  PutSettings(w, s);
  const int32_t p_nnz = p.P.nnz(), a_nnz = p.A.nnz();
  w.Put(p.n);
  w.Put(p.m);
  w.Put(p_nnz);
  w.Put(a_nnz);
  w.Put((int32_t)(p.lb != nullptr));
  w.Put((int32_t)(p.ub != nullptr));
  w.Put(p.constant);
  // A matrix without stored entries may come without Ap: it goes as n + 1 zeros.
  const std::vector<int32_t> zeros(p.n + 1, 0);
  w.PutArray(p.P.Ap ? p.P.Ap : zeros.data(), p.n + 1);
  w.PutArray(p.P.Ai, p_nnz);
  w.PutArray(p.P.Ax, p_nnz);
  w.PutArray(p.q, p.n);
  w.PutArray(p.A.Ap ? p.A.Ap : zeros.data(), p.n + 1);
  w.PutArray(p.A.Ai, a_nnz);
  w.PutArray(p.A.Ax, a_nnz);
  w.PutArray(p.l, p.m);
  w.PutArray(p.u, p.m);
  if (p.lb) w.PutArray(p.lb, p.n);
  if (p.ub) w.PutArray(p.ub, p.n);
  return w.Finish();
}

bool DecodeClpJob(const uint8_t* bytes, size_t size, ClpJob& job, std::string& why) {
  Reader r(bytes, size);
  char magic[4];
  int32_t p_nnz = 0, a_nnz = 0, has_lb = 0, has_ub = 0;
  if (!r.Raw(magic, sizeof(magic)) || std::memcmp(magic, kJobMagic, sizeof(magic)) != 0) {
    why = "not a job (bad magic)";
    return false;
  }
  if (!GetSettings(r, job.settings) || !r.Get(job.n) || !r.Get(job.m) || !r.Get(p_nnz) || !r.Get(a_nnz) || !r.Get(has_lb) ||
      !r.Get(has_ub) || !r.Get(job.constant) || job.n < 1 || job.m < 0) {
    why = "a job header that does not hold";
    return false;
  }
  job.has_lb = has_lb != 0;
  job.has_ub = has_ub != 0;
  const int64_t n = job.n, m = job.m;
  if (!r.GetArray(job.Pp, n + 1) || !r.GetArray(job.Pi, p_nnz) || !r.GetArray(job.Px, p_nnz) || !r.GetArray(job.q, n) ||
      !r.GetArray(job.Ap, n + 1) || !r.GetArray(job.Ai, a_nnz) || !r.GetArray(job.Ax, a_nnz) || !r.GetArray(job.l, m) ||
      !r.GetArray(job.u, m) || (job.has_lb && !r.GetArray(job.lb, n)) || (job.has_ub && !r.GetArray(job.ub, n))) {
    why = "a job shorter than its sizes say";
    return false;
  }
  if (r.left() != 0) {
    why = "a job longer than its sizes say";
    return false;
  }
  if (!CscHolds(job.Pp, job.Pi, job.n, job.n) || !CscHolds(job.Ap, job.Ai, job.n, job.m)) {
    why = "a job whose P or A is not CSC";
    return false;
  }
  return true;
}

std::vector<uint8_t> EncodeClpAnswer(const ClpRun& run) {
  Writer w;
  w.Raw(kAnswerMagic, sizeof(kAnswerMagic));
  w.Put((int32_t)0);
  w.Put(run.status);
  w.Put(run.secondary);
  w.Put((int32_t)run.has_duals);
  w.Put((int32_t)run.x.size());
  w.Put((int32_t)run.y.size());
  w.Put(run.iterations);
  w.Put(run.solve_seconds);
  w.PutArray(run.x.data(), run.x.size());
  w.PutArray(run.y.data(), run.y.size());
  w.PutArray(run.z.data(), run.z.size());
  return w.Finish();
}

std::vector<uint8_t> EncodeClpFailure(const std::string& message) {
  Writer w;
  w.Raw(kAnswerMagic, sizeof(kAnswerMagic));
  w.Put((int32_t)1);
  w.Put((uint32_t)message.size());
  w.Raw(message.data(), message.size());
  return w.Finish();
}

bool DecodeClpAnswer(const uint8_t* bytes, size_t size, int32_t n, int32_t m, ClpRun& run, std::string& failure, std::string& why) {
  Reader r(bytes, size);
  char magic[4];
  int32_t kind = -1;
  if (!r.Raw(magic, sizeof(magic)) || std::memcmp(magic, kAnswerMagic, sizeof(magic)) != 0 || !r.Get(kind)) {
    why = "not an answer (bad magic)";
    return false;
  }
  if (kind == 1) {
    uint32_t length = 0;
    if (!r.Get(length) || length != r.left()) {
      why = "a failure message of the wrong length";
      return false;
    }
    failure.assign(reinterpret_cast<const char*>(bytes) + (size - length), length);
    return true;
  }
  int32_t has_duals = 0, xn = -1, ym = -1;
  if (kind != 0 || !r.Get(run.status) || !r.Get(run.secondary) || !r.Get(has_duals) || !r.Get(xn) || !r.Get(ym) || !r.Get(run.iterations) ||
      !r.Get(run.solve_seconds) || xn != n || ym != m || !r.GetArray(run.x, n) || !r.GetArray(run.y, m) || !r.GetArray(run.z, n) ||
      r.left() != 0) {
    why = "an answer that does not fit the job";
    return false;
  }
  run.has_duals = has_duals != 0;
  return true;
}

}  // namespace diffqp
