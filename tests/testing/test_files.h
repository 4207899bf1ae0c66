// Where tests find their inputs, and small helpers to read them.
#ifndef SIGVERIFY_TESTS_TESTING_TEST_FILES_H_
#define SIGVERIFY_TESTS_TESTING_TEST_FILES_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sigverify::testing {

// tests/testdata in the source tree (Wycheproof vectors, real certificates).
inline std::string TestDataDir() { return SIGVERIFY_TESTDATA_DIR; }

// The generated test PKI (see tests/pki/test_pki.h); ctest's fixture writes it.
inline std::string TestPkiDir() {
  const char* env = std::getenv("SIGVERIFY_TESTPKI_DIR");
  return env != nullptr ? env : SIGVERIFY_TESTPKI_DIR;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline std::string PkiFile(const std::string& name) { return ReadFile(TestPkiDir() + "/" + name); }

inline std::string HexDecode(const std::string& hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_TEST_FILES_H_
