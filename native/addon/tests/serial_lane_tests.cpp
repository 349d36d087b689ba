// Unit tests of the process-wide lane (native/addon/serial_lane.hpp) without Node: wake-ups are
// recorded instead of sent to a JS thread, groups stand for JS threads. Run by ctest (lane_unit).
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#define CHECK_DEFINE_GLOBALS
#include "../../testing/check.h"
#include "../serial_lane.hpp"

using namespace diffqp;

namespace {

// A lane of its own per test: the lanes are process-wide.
int g_lane = 0;
std::string NewKey() { return "lane" + std::to_string(g_lane++); }

// An async waiter whose wake-up is recorded (as the thread-safe function would queue it).
struct Waiting {
  SerialLanes::WaiterId id = 0;
  std::atomic<int> woken{0};
  bool deliverable = true;
};
bool Ask(const std::string& key, SerialLanes::Group g, Waiting& w) {
  return SerialLanes::Process().TakeOrWait(
      key, g,
      [&w]() {
        if (!w.deliverable) return false;
        w.woken++;
        return true;
      },
      &w.id);
}

void test_first_come_first_served() {
  g_test = "a free lane is taken, waiters follow in order, a claim holds it";
  SerialLanes& lanes = SerialLanes::Process();
  const std::string key = NewKey();
  Waiting a, b, c;
  CHECK(Ask(key, 1, a), "the first asker takes the free lane");
  CHECK(!Ask(key, 2, b) && !Ask(key, 1, c), "the next ones wait");
  CHECK(lanes.Waiting(key) == 2, "2 waiting, got %zu", lanes.Waiting(key));
  CHECK(b.woken == 0, "nobody woken while the lane is held");
  lanes.Release(key);
  CHECK(b.woken == 1 && c.woken == 0, "b (first in) woken, c not");
  CHECK(lanes.Waiting(key) == 2, "a grant not yet claimed still counts as waiting");
  CHECK(!lanes.Claim(c.id), "c has no grant to claim");
  CHECK(lanes.Claim(b.id), "b claims its grant");
  CHECK(lanes.Waiting(key) == 1, "then 1 waiting");
  lanes.Release(key);
  CHECK(c.woken == 1 && lanes.Claim(c.id), "then c");
  lanes.Release(key);
  Waiting d;
  CHECK(Ask(key, 3, d), "free again");
  lanes.Release(key);
}

void test_leave() {
  g_test = "a waiter that leaves (abort, deadline) is skipped; a left grant passes on";
  SerialLanes& lanes = SerialLanes::Process();
  const std::string key = NewKey();
  Waiting a, b, c, d;
  Ask(key, 1, a);
  Ask(key, 1, b);
  Ask(key, 2, c);
  Ask(key, 2, d);
  CHECK(lanes.Leave(b.id), "b was waiting");
  CHECK(!lanes.Leave(b.id), "and is gone");
  lanes.Release(key);
  CHECK(b.woken == 0 && c.woken == 1, "c is next, b never woken");
  CHECK(lanes.Leave(c.id), "c leaves with its grant unclaimed");
  CHECK(d.woken == 1, "which passes to d");
  CHECK(!lanes.Claim(c.id) && lanes.Claim(d.id), "d holds it, c cannot claim");
  CHECK(!lanes.Leave(d.id), "a claimed lane is not left but released");
  lanes.Release(key);
  CHECK(lanes.Waiting(key) == 0, "nothing waits");
}

void test_undeliverable_and_dropped_group() {
  g_test = "a wake-up that cannot be delivered, and a thread that ends, pass the lane on";
  SerialLanes& lanes = SerialLanes::Process();
  const std::string key = NewKey();
  Waiting a, b, c, d, e;
  Ask(key, 1, a);
  Ask(key, 2, b);
  Ask(key, 3, c);
  Ask(key, 3, d);
  Ask(key, 4, e);
  b.deliverable = false;
  lanes.Release(key);
  CHECK(c.woken == 1, "b's thread is gone: c is woken");
  CHECK(lanes.Waiting(key) == 3, "b dropped: c (granted), d, e wait; got %zu", lanes.Waiting(key));
  lanes.DropGroup(3);
  CHECK(e.woken == 1 && d.woken == 0, "group 3 ends: c's grant and d leave, e is woken");
  CHECK(lanes.Claim(e.id), "e holds it");
  lanes.Release(key);
  CHECK(lanes.Waiting(key) == 0, "nothing waits");
}

void test_sync_take_back() {
  g_test = "a thread blocked in a sync take: its unclaimed grant is taken back, its waiters passed over";
  SerialLanes& lanes = SerialLanes::Process();
  const std::string key = NewKey();
  Waiting a, b, c;
  Ask(key, 9, a);  // another thread's solve runs
  Ask(key, 1, b);  // thread 1 queues two async solves
  Ask(key, 1, c);
  lanes.Release(key);  // b is granted, thread 1 has not picked it up yet
  CHECK(b.woken == 1, "b granted");
  // Thread 1 now blocks in a sync take: it takes b's grant back and goes first.
  lanes.TakeBlocking(key, 1);
  CHECK(lanes.Waiting(key) == 2, "b and c wait again; got %zu", lanes.Waiting(key));
  CHECK(!lanes.Claim(b.id), "b's late wake-up finds no grant");
  lanes.Release(key);
  CHECK(b.woken == 2 && lanes.Claim(b.id), "after the sync solve, b is woken again and holds it");

  // Thread 1 blocks while thread 2 holds the lane and thread 3 waits: the handover at the end
  // of thread 2's solve skips thread 1's async waiter c and goes to thread 3, then to thread 1's
  // sync take (queued after), never to c while thread 1 is blocked.
  lanes.Release(key);  // b done; c is granted
  CHECK(c.woken == 1 && lanes.Claim(c.id), "c holds it");
  Waiting c2, d3;
  Ask(key, 1, c2);
  Ask(key, 3, d3);
  std::atomic<bool> took{false};
  std::thread blocked([&] {
    lanes.TakeBlocking(key, 1);
    took = true;
  });
  while (lanes.Waiting(key) < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // c2, d3, the sync take
  CHECK(!took, "the sync take waits while c runs");
  lanes.Release(key);  // c ends: thread 3 is next in order
  CHECK(d3.woken == 1 && c2.woken == 0, "d3 woken, c2 passed over");
  CHECK(lanes.Claim(d3.id), "d3 holds it");
  lanes.Release(key);  // d3 ends: c2's thread is blocked, the sync take goes
  blocked.join();
  CHECK(took && c2.woken == 0, "the sync take has it; c2 still waits");
  lanes.Release(key);
  CHECK(c2.woken == 1 && lanes.Claim(c2.id), "then c2");
  lanes.Release(key);
  CHECK(lanes.Waiting(key) == 0, "nothing waits");
}

void test_one_at_a_time() {
  g_test = "threads taking the lane (sync) and releasing it never overlap";
  const std::string key = NewKey();
  std::atomic<int> inside{0}, overlaps{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 200; k++) {
        SerialLanes::Process().TakeBlocking(key, 100 + t);
        if (inside.fetch_add(1) != 0) overlaps++;
        std::this_thread::yield();
        inside.fetch_sub(1);
        done++;
        SerialLanes::Process().Release(key);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(overlaps == 0 && done == 800, "%d overlaps in %d takes", overlaps.load(), done.load());
}

}  // namespace

int main() {
  test_first_come_first_served();
  test_leave();
  test_undeliverable_and_dropped_group();
  test_sync_take_back();
  test_one_at_a_time();
  if (g_failed_checks) {
    printf("%d check(s) failed\n", g_failed_checks);
    return 1;
  }
  printf("lane tests passed\n");
  return 0;
}
