#include "service/access_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sigverify::service {
namespace {

// JSON string contents: quotes, backslashes and control characters escaped;
// UTF-8 kept as it is.
void AppendJsonString(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

absl::StatusOr<FILE*> OpenForAppend(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  }
  FILE* f = fdopen(fd, "a");
  if (f == nullptr) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  }
  return f;
}

}  // namespace

std::string AccessLogLine(const AccessLogEntry& e) {
  std::string out = "{\"time\":";
  AppendJsonString(out, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", e.time, absl::UTCTimeZone()));
  out += ",\"peer\":";
  AppendJsonString(out, e.peer);
  if (e.identity != nullptr) {
    out += ",\"certificate_sha256\":";
    AppendJsonString(out, e.identity->sha256_hex());
    out += ",\"subject\":";
    AppendJsonString(out, e.identity->subject());
  }
  if (!e.grant.empty()) {
    out += ",\"grant\":";
    AppendJsonString(out, e.grant);
  }
  out += ",\"method\":";
  AppendJsonString(out, e.method);
  absl::StrAppend(&out, ",\"code\":", e.code, ",\"items\":", e.items,
                  ",\"latency_us\":", absl::ToInt64Microseconds(e.latency));
  if (!e.request_id.empty()) {
    out += ",\"request_id\":";
    AppendJsonString(out, e.request_id);
  }
  out += '}';
  return out;
}

void CallLog::Finish(int code, absl::Time now) {
  if (done_) return;
  done_ = true;
  if (log_ == nullptr) return;
  entry_.code = code;
  entry_.latency = now - entry_.time;
  log_->Record(entry_);
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(std::string path) {
  std::unique_ptr<AccessLog> log(new AccessLog(std::move(path)));
  auto file = OpenForAppend(log->path_);
  if (!file.ok()) return file.status();
  log->file_ = *file;
  log->writer_ = std::thread([p = log.get()] { p->Run(); });
  return log;
}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  if (file_ != nullptr) fclose(file_);
}

void AccessLog::Record(const AccessLogEntry& entry) {
  std::string line = AccessLogLine(entry);
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= kMaxQueuedLines) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(line));
}

absl::Status AccessLog::Reopen() {
  absl::MutexLock lock(&mu_);
  reopen_ = true;
  return absl::OkStatus();
}

void AccessLog::Run() {
  for (;;) {
    std::deque<std::string> lines;
    bool reopen;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AccessLog* l) ABSL_SHARED_LOCKS_REQUIRED(l->mu_) {
            return l->stopping_ || l->reopen_ || !l->queue_.empty();
          },
          this));
      lines.swap(queue_);
      reopen = std::exchange(reopen_, false);
      stopping = stopping_;
    }
    for (const std::string& line : lines) {
      fwrite(line.data(), 1, line.size(), file_);
      fputc('\n', file_);
    }
    fflush(file_);
    written_.fetch_add(lines.size(), std::memory_order_relaxed);
    if (reopen) {
      if (auto f = OpenForAppend(path_); f.ok()) {
        fclose(file_);
        file_ = *f;
      }  // else: keep writing to the old file rather than lose lines
    }
    if (stopping && lines.empty()) return;
  }
}

StatsTable AccessLog::stats_table() const {
  return {
      {"sigverify_access_log_lines_total", "Access log lines written", StatKind::kCounter,
       [this] { return double(written_.load()); }},
      {"sigverify_access_log_dropped_total",
       "Access log lines dropped because the writer fell behind (queue of 65536 lines full)",
       StatKind::kCounter, [this] { return double(dropped_.load()); }},
  };
}

}  // namespace sigverify::service
