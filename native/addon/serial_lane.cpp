#include "serial_lane.hpp"

#include <utility>

namespace diffqp {

SerialLanes& SerialLanes::Process() {
  // Never destroyed: a solve still on a pool thread at process exit releases its lane after
  // static destructors have run.
  static SerialLanes* lanes = new SerialLanes();
  return *lanes;
}

SerialLanes::Lane& SerialLanes::LaneOf(const std::string& key) { return lanes_[key]; }

bool SerialLanes::Blocked(Group group) const { return blocked_.count(group) > 0; }

void SerialLanes::HandOver(Lane& lane) {
  lane.taken = false;
  lane.pending.reset();
  for (auto it = lane.queue.begin(); it != lane.queue.end();) {
    std::shared_ptr<Waiter> w = *it;
    // Its thread is blocked in a sync take: it could not start; it keeps its place.
    if (!w->sync && Blocked(w->group)) {
      ++it;
      continue;
    }
    it = lane.queue.erase(it);
    lane.taken = true;
    if (w->sync) {
      w->granted = true;
      granted_.notify_all();
      return;
    }
    lane.pending = w;
    bool delivered = false;
    try {
      delivered = w->wake();
    } catch (...) {
    }
    if (delivered) return;
    // Its thread is going away: drop it, try the next.
    lane.taken = false;
    lane.pending.reset();
  }
}

void SerialLanes::TakeBack(Lane& lane) {
  if (lane.pending) lane.queue.push_front(std::move(lane.pending));
  lane.pending.reset();
  lane.taken = false;
}

bool SerialLanes::TakeOrWait(const std::string& key, Group group, Wake wake, WaiterId* id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Lane& lane = LaneOf(key);
  if (!lane.taken && lane.queue.empty()) {
    lane.taken = true;
    return true;
  }
  auto w = std::make_shared<Waiter>();
  w->id = next_id_++;
  w->group = group;
  w->wake = std::move(wake);
  *id = w->id;
  lane.queue.push_back(std::move(w));
  // Free but with (skipped) waiters ahead: the order decides, this one included.
  if (!lane.taken) HandOver(lane);
  return false;
}

bool SerialLanes::Claim(WaiterId id) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& entry : lanes_) {
    Lane& lane = entry.second;
    if (lane.pending && lane.pending->id == id) {
      lane.pending.reset();  // taken stays: the lane is the claimer's now
      return true;
    }
  }
  return false;
}

bool SerialLanes::Leave(WaiterId id) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& entry : lanes_) {
    Lane& lane = entry.second;
    if (lane.pending && lane.pending->id == id) {
      HandOver(lane);
      return true;
    }
    for (auto it = lane.queue.begin(); it != lane.queue.end(); ++it) {
      if ((*it)->id == id) {
        lane.queue.erase(it);
        return true;
      }
    }
  }
  return false;
}

void SerialLanes::TakeBlocking(const std::string& key, Group group) {
  std::unique_lock<std::mutex> lock(mutex_);
  Lane& mine = LaneOf(key);
  blocked_[group]++;
  // Grants this thread has not claimed yet could only be claimed after it unblocks.
  for (auto& entry : lanes_) {
    Lane& lane = entry.second;
    if (lane.pending && lane.pending->group == group) {
      TakeBack(lane);
      HandOver(lane);
    }
  }
  if (!mine.taken) {
    // Free: nobody queued can take it before this thread unblocks (HandOver just said so).
    mine.taken = true;
  } else {
    auto w = std::make_shared<Waiter>();
    w->id = next_id_++;
    w->group = group;
    w->sync = true;
    mine.queue.push_back(w);
    granted_.wait(lock, [&] { return w->granted; });
  }
  if (--blocked_[group] == 0) blocked_.erase(group);
}

void SerialLanes::Release(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  HandOver(LaneOf(key));
}

void SerialLanes::DropGroup(Group group) {
  std::lock_guard<std::mutex> lock(mutex_);
  blocked_.erase(group);
  for (auto& entry : lanes_) {
    Lane& lane = entry.second;
    for (auto it = lane.queue.begin(); it != lane.queue.end();) {
      if ((*it)->group == group && !(*it)->sync) {
        it = lane.queue.erase(it);
      } else {
        ++it;
      }
    }
    if (lane.pending && lane.pending->group == group) HandOver(lane);
  }
}

size_t SerialLanes::Waiting(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Lane& lane = LaneOf(key);
  return lane.queue.size() + (lane.pending ? 1 : 0);
}

}  // namespace diffqp
