// diffqp_clp_qp: runs one Clp solve (clp_run.cpp) for the Clp plugin, in a process of its own
// so that the plugin can kill it (clp_process.cpp). Reads one job frame (clp_wire.hpp) from
// stdin, writes one answer frame to stdout, exits. Clp's own log goes to stderr.
//   diffqp_clp_qp PARENT_PID
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "clp_run.hpp"
#include "clp_wire.hpp"

namespace {

bool ReadAll(int fd, void* data, size_t size) {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    const ssize_t k = read(fd, p, size);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    size -= (size_t)k;
  }
  return true;
}

bool WriteAll(int fd, const std::vector<uint8_t>& bytes) {
  const uint8_t* p = bytes.data();
  size_t size = bytes.size();
  while (size > 0) {
    const ssize_t k = write(fd, p, size);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    size -= (size_t)k;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Die with the parent: a spinning Clp must not outlive the process that asked for it.
  // (The signal follows the parent's thread; the libuv threads that solve live as long as it.)
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (argc < 2 || getppid() != (pid_t)std::strtol(argv[1], nullptr, 10)) return 3;  // the parent is gone already
  // The answer goes to the stdout we were given; Clp prints its log to stdout: make that stderr.
  // Without a stderr, the log goes nowhere.
  const int answer = fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (answer < 0) return 4;
  if (fcntl(2, F_GETFD) < 0) {
    const int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, 1) < 0) return 4;
    close(null);
  } else if (dup2(2, 1) < 0) {
    return 4;
  }

  auto fail = [&](const std::string& message) {
    WriteAll(answer, diffqp::EncodeClpFailure(message));
    return 2;
  };
  uint64_t length = 0;
  if (!ReadAll(0, &length, sizeof(length))) return fail("no job on stdin");
  if (length > ((uint64_t)1 << 40)) return fail("a job frame of " + std::to_string(length) + " bytes");
  try {
    std::vector<uint8_t> body((size_t)length);
    if (!ReadAll(0, body.data(), body.size())) return fail("a job shorter than its frame");
    diffqp::ClpJob job;
    std::string why;
    if (!diffqp::DecodeClpJob(body.data(), body.size(), job, why)) return fail(why);
    body = {};
    const diffqp::ClpRun run = diffqp::RunClp(job.View(), job.settings);
    return WriteAll(answer, diffqp::EncodeClpAnswer(run)) ? 0 : 5;
  } catch (const std::exception& e) {
    return fail(std::string("Clp threw: ") + e.what());
  } catch (...) {
    return fail("Clp threw something other than a std::exception");
  }
}
