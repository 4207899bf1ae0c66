// Fixed-width little-endian integers, as the audit log's segment frames and
// the index's blocks lay them out (byte by byte, whatever the host's order).
#ifndef SIGVERIFY_SERVICE_AUDIT_LITTLE_ENDIAN_H_
#define SIGVERIFY_SERVICE_AUDIT_LITTLE_ENDIAN_H_

#include <cstdint>
#include <string>

namespace sigverify::audit::le {

template <typename T>
void Store(T v, char* p) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<char>(v >> (8 * i));
}

template <typename T>
void Append(T v, std::string* out) {
  char bytes[sizeof(T)];
  Store(v, bytes);
  out->append(bytes, sizeof(T));
}

template <typename T>
T Load(const char* p) {
  T v = 0;
  for (size_t i = sizeof(T); i-- > 0;) v = static_cast<T>((v << 8) | static_cast<uint8_t>(p[i]));
  return v;
}

}  // namespace sigverify::audit::le

#endif  // SIGVERIFY_SERVICE_AUDIT_LITTLE_ENDIAN_H_
