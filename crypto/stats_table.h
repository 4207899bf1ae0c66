// A component's statistics as it declares them for export: name, help,
// kind, labels and how to read the value. The component owns the table next
// to the stats it reads; the service only registers tables with Prometheus
// (service/metrics.h, ScrapeTimeGauges). Values are read when scraped, so
// nothing on the hot path keeps them up to date. Names follow
// sigverify_<component>_<what>_<unit>.
#ifndef SIGVERIFY_CRYPTO_STATS_TABLE_H_
#define SIGVERIFY_CRYPTO_STATS_TABLE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sigverify {

enum class StatKind { kCounter, kGauge };

struct Stat {
  const char* name;
  const char* help;
  StatKind kind;
  std::function<double()> read;
  // Stats of one name (consecutive in a table) form one family, told apart
  // by their labels.
  std::vector<std::pair<std::string, std::string>> labels = {};
};

using StatsTable = std::vector<Stat>;

// `more` appended to `table`.
inline void Append(StatsTable& table, StatsTable more) {
  for (Stat& s : more) table.push_back(std::move(s));
}

}  // namespace sigverify

#endif  // SIGVERIFY_CRYPTO_STATS_TABLE_H_
