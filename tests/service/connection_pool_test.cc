// The stores' reader connections: each read holds its own, and a read that
// finds all taken gets the first one given back.
#include "service/audit/connection_pool.h"

#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "gtest/gtest.h"

namespace sigverify::audit {
namespace {

TEST(ConnectionPoolTest, EachLeaseHoldsItsOwnConnectionAndAWaiterGetsTheOneGivenBack) {
  std::vector<std::unique_ptr<int>> connections;
  for (int i = 0; i < 3; ++i) connections.push_back(std::make_unique<int>(i));
  ConnectionPool<std::unique_ptr<int>> pool(std::move(connections));
  EXPECT_EQ(pool.size(), 3u);

  std::set<int> held;
  std::optional<ConnectionPool<std::unique_ptr<int>>::Lease> leases[3];
  for (auto& lease : leases) {
    lease.emplace(pool.Take());
    held.insert(***lease);
  }
  EXPECT_EQ(held, (std::set<int>{0, 1, 2}));

  const int given_back = ***leases[1];
  int waited_for = -1;
  std::thread waiter([&] { waited_for = **pool.Take(); });
  leases[1].reset();  // gives connection `given_back` back
  waiter.join();
  EXPECT_EQ(waited_for, given_back);
}

}  // namespace
}  // namespace sigverify::audit
