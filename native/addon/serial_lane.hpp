// Process-wide lanes for serialised solvers (Ipopt: MUMPS keeps global state, so one solve at a
// time in the whole process). One lane per solver key: taken or free, and a FIFO of waiters.
//
// An async solve asks on its JS thread and never blocks: it takes a free lane, or leaves a
// waiter whose wake-up (a function given by the caller, in practice a thread-safe function call
// to its JS thread) is run when the lane is handed to it. The waiter then claims the lane on its
// own thread and starts its work, which releases the lane when it has ended. A sync solve blocks
// its own thread (that is what sync means) until the lane is its own.
//
// Deadlock rule: a JS thread blocked in a sync take cannot start an async waiter of its own. So
// while it is blocked its async waiters are skipped (they keep their place), and a grant made
// to one of them that it has not claimed yet is taken back before it blocks.
//
// Plain C++ (no N-API), so it is tested without Node; every function is thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace diffqp {

class SerialLanes {
 public:
  // A JS thread (one per napi_env); never reused within a process.
  using Group = uint64_t;
  using WaiterId = uint64_t;
  // Runs under the lanes' lock, from any thread, when the lane is handed to the waiter: it must
  // not block or call into JS. false: it cannot be delivered (its thread is going away), the
  // waiter is dropped and the lane goes to the next one.
  using Wake = std::function<bool()>;

  // The lanes of this process.
  static SerialLanes& Process();

  // On a JS thread. true: the lane was free and is now the caller's (Release it). false: the
  // caller waits; *id names its waiter, whose `wake` runs when the lane is handed to it.
  bool TakeOrWait(const std::string& key, Group group, Wake wake, WaiterId* id);

  // On the waiter's thread, after its wake ran. true: the lane is the caller's (Release it);
  // false: the grant was taken back (its thread blocked in a sync take, which went first) or the
  // waiter left. A waiter whose grant was taken back stays queued and is woken again.
  bool Claim(WaiterId id);

  // The waiter leaves (abort, deadline, its thread ending). true if it was waiting or granted
  // and not yet claimed (a grant passes to the next waiter); false if it had claimed or left.
  bool Leave(WaiterId id);

  // Blocks the calling thread (of `group`) until it holds the lane; Release it afterwards.
  void TakeBlocking(const std::string& key, Group group);

  // Hands the lane on (the holder's work has ended); from any thread.
  void Release(const std::string& key);

  // A JS thread is ending: its waiters leave, grants not yet claimed pass on.
  void DropGroup(Group group);

  // Waiters of `key` not yet running (queued or granted but not claimed); for tests.
  size_t Waiting(const std::string& key);

 private:
  struct Waiter {
    WaiterId id = 0;
    Group group = 0;
    bool sync = false;
    Wake wake;             // async waiters
    bool granted = false;  // sync waiters: set when the lane is theirs
  };
  struct Lane {
    bool taken = false;
    std::shared_ptr<Waiter> pending;  // granted, not yet claimed (the lane is taken for it)
    std::deque<std::shared_ptr<Waiter>> queue;
  };

  Lane& LaneOf(const std::string& key);
  // Lock held: gives the free lane to the first waiter that can take it.
  void HandOver(Lane& lane);
  // Lock held: a grant not yet claimed goes back to the front of the queue; the lane is free.
  void TakeBack(Lane& lane);
  bool Blocked(Group group) const;

  std::mutex mutex_;
  std::condition_variable granted_;
  std::map<std::string, Lane> lanes_;
  std::map<Group, int> blocked_;  // JS threads blocked in TakeBlocking
  WaiterId next_id_ = 1;
};

// Holds a lane taken by TakeOrWait, Claim or TakeBlocking; releases it once (at the end of the
// work, or when destroyed without having run).
class LaneHold {
 public:
  LaneHold() = default;
  explicit LaneHold(std::string key) : key_(std::move(key)), held_(true) {}
  LaneHold(LaneHold&& o) noexcept : key_(std::move(o.key_)), held_(o.held_) { o.held_ = false; }
  LaneHold& operator=(LaneHold&& o) noexcept {
    if (this != &o) {
      Release();
      key_ = std::move(o.key_);
      held_ = o.held_;
      o.held_ = false;
    }
    return *this;
  }
  LaneHold(const LaneHold&) = delete;
  LaneHold& operator=(const LaneHold&) = delete;
  ~LaneHold() { Release(); }
  void Release() {
    if (held_) {
      held_ = false;
      SerialLanes::Process().Release(key_);
    }
  }

 private:
  std::string key_;
  bool held_ = false;
};

}  // namespace diffqp
