// The parent's side of clp_process.hpp: posix_spawn, one socket as the child's stdin and
// stdout, a poll loop that watches the cancel flag and the clock, SIGKILL, waitpid.
// A Unix socket rather than two pipes: one descriptor, and send(MSG_NOSIGNAL) cannot raise
// SIGPIPE in the host process when the child has died.
#include "clp_process.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "../core/timer.hpp"
#include "clp_wire.hpp"

extern char** environ;

namespace diffqp {
namespace {

constexpr int kPollMs = 10;
// Clp gets the time left as its own limit and may stop there with its answer; the child is
// killed this much later (Clp counts CPU seconds, which a busy machine hands out slowly).
constexpr double kGraceSeconds = 0.2;

std::string WaitText(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended with wait status " + std::to_string(status);
}

// The child and its socket; whatever happens, the destructor leaves neither behind.
class Child {
 public:
  ~Child() {
    if (fd_ >= 0) close(fd_);
    if (pid_ > 0) Kill();
  }

  // Empty on success, else why the child could not start.
  std::string Start(const std::string& path) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return std::string("socketpair: ") + strerror(errno);
    fd_ = sv[0];
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    // The child's end becomes its stdin and stdout (dup2 leaves those two open across exec;
    // everything diffqp opened here is close-on-exec).
    posix_spawn_file_actions_adddup2(&actions, sv[1], 0);
    posix_spawn_file_actions_adddup2(&actions, sv[1], 1);
    // The host's stderr for Clp's log (verbose), also when it is close-on-exec (as under
    // mocha): dup2 onto itself clears that flag in the child.
    if (fcntl(2, F_GETFD) >= 0) posix_spawn_file_actions_adddup2(&actions, 2, 2);
    // A clean start whatever thread this is: nothing blocked, SIGPIPE at its default.
    sigset_t none, pipe;
    sigemptyset(&none);
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &pipe);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::string parent = std::to_string(getpid());
    char* argv[] = {const_cast<char*>(path.c_str()), parent.data(), nullptr};
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, path.c_str(), &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(sv[1]);
    if (rc != 0) return "cannot start " + path + ": " + strerror(rc);
    pid_ = pid;
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    return "";
  }

  int fd() const { return fd_; }
  pid_t pid() const { return pid_; }

  // SIGKILL and reap. Never with pid_ ≤ 0: kill(−1, …) would signal every process we may.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  // Reaps a child that is ending on its own (it has answered or closed its socket); killed
  // if it is still there after a second. Returns the wait status.
  int Finish() {
    if (pid_ <= 0) return status_;
    close(fd_);
    fd_ = -1;
    // It exits within a millisecond of answering: look often at first, then every 10 ms.
    const Timer clock;
    for (long wait_us = 50; clock.Seconds() < 1.0; wait_us = std::min(2 * wait_us, 1000L * kPollMs)) {
      const pid_t r = waitpid(pid_, &status_, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        pid_ = -1;
        return status_;
      }
      const timespec pause{0, wait_us * 1000};
      nanosleep(&pause, nullptr);
    }
    Kill();
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  int status_ = 0;
};

}  // namespace

std::string ClpWorkerPath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&ClpWorkerPath), &info) == 0 || info.dli_fname == nullptr) return "diffqp_clp_qp";
  const std::string self(info.dli_fname);
  const size_t slash = self.rfind('/');
  return (slash == std::string::npos ? std::string() : self.substr(0, slash + 1)) + "diffqp_clp_qp";
}

ClpChild RunClpInChild(const ProblemView& p, const ClpRunSettings& s, const CancelFlag& cancel, double seconds) {
  const Timer clock;
  ClpChild out;
  const std::vector<uint8_t> job = EncodeClpJob(p, s);
  Child child;
  if (std::string why = child.Start(ClpWorkerPath()); !why.empty()) {
    out.reason = why;
    return out;
  }
  const double kill_at = std::isfinite(seconds) ? seconds + kGraceSeconds : kInf;
  // True when the child has to go: the outcome is set and the child killed.
  auto stopped = [&]() {
    if (cancel.load(std::memory_order_relaxed)) {
      out.outcome = ClpChildOutcome::kCancelled;
    } else if (clock.Seconds() >= kill_at) {
      out.outcome = ClpChildOutcome::kTimeLimit;
    } else {
      return false;
    }
    child.Kill();
    return true;
  };

  // The job: written as the child reads it. A child that dies early makes send fail (EPIPE,
  // ECONNRESET); what it said, if anything, is read below.
  size_t sent = 0;
  while (sent < job.size()) {
    if (stopped()) return out;
    pollfd pfd{child.fd(), POLLOUT, 0};
    if (poll(&pfd, 1, kPollMs) <= 0) continue;
    const ssize_t k = send(child.fd(), job.data() + sent, job.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k > 0) {
      sent += (size_t)k;
    } else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      break;
    }
  }

  // The answer: a length, then that many bytes, read as they come.
  const size_t expected = kClpFrameHeader + 64 + (2 * (size_t)p.n + (size_t)p.m) * sizeof(double);
  std::vector<uint8_t> answer;
  size_t need = kClpFrameHeader;
  bool eof = false;
  while (answer.size() < need) {
    if (stopped()) return out;
    pollfd pfd{child.fd(), POLLIN, 0};
    if (poll(&pfd, 1, kPollMs) <= 0) continue;
    uint8_t chunk[65536];
    const ssize_t k = recv(child.fd(), chunk, sizeof(chunk), MSG_DONTWAIT);
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (k <= 0) {
      eof = true;
      break;
    }
    answer.insert(answer.end(), chunk, chunk + k);
    if (need == kClpFrameHeader && answer.size() >= kClpFrameHeader) {
      uint64_t length = 0;
      std::memcpy(&length, answer.data(), sizeof(length));
      if (length > expected + (1u << 16)) {  // no answer to this job is that long
        child.Kill();
        out.reason = "the Clp worker's answer claims " + std::to_string(length) + " bytes";
        return out;
      }
      need = kClpFrameHeader + (size_t)length;
    }
  }
  const int status = child.Finish();
  if (eof || answer.size() < need) {
    out.reason = "the Clp worker " + WaitText(status) + " after " + std::to_string(answer.size()) + " of " +
                 (need > kClpFrameHeader ? std::to_string(need) : std::string("≥ ") + std::to_string(kClpFrameHeader)) +
                 " bytes of its answer";
    return out;
  }
  std::string failure, why;
  if (!DecodeClpAnswer(answer.data() + kClpFrameHeader, need - kClpFrameHeader, p.n, p.m, out.run, failure, why)) {
    out.reason = "the Clp worker sent " + why;
  } else if (!failure.empty()) {
    out.reason = "the Clp worker could not run (" + failure + "), " + WaitText(status);
  } else {
    out.outcome = ClpChildOutcome::kAnswered;
  }
  return out;
}

}  // namespace diffqp
