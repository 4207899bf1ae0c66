// CRC-32C (Castagnoli, as iSCSI and ext4 use it): the segment frames'
// checksum. SSE 4.2's crc32 instruction where the processor has it, a table
// elsewhere; both give the same value (tested).
#ifndef SIGVERIFY_SERVICE_AUDIT_CRC32C_H_
#define SIGVERIFY_SERVICE_AUDIT_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace sigverify::audit {

// Extends `crc` (0 to start) over `data`.
uint32_t Crc32c(uint32_t crc, std::string_view data);
// The table version, for the test that compares the two.
uint32_t Crc32cPortable(uint32_t crc, std::string_view data);

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_CRC32C_H_
