#include "tests/pki/rfc5280_fixtures.h"

#include <openssl/x509.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/pki/cert_factory.h"

namespace sigverify::testing {
namespace {

using Extensions = std::vector<std::pair<std::string, std::string>>;

constexpr char kP1[] = "2.16.704.1.1.1.1.1";  // the public-service CA's CP
constexpr char kP2[] = "2.16.704.1.1.1.1.2";
constexpr char kP3[] = "2.16.704.1.1.1.1.3";
constexpr char kAnyPolicy[] = "2.5.29.32.0";

Extensions CaExtensions(Extensions extra = {}) {
  Extensions e = {{"basicConstraints", "critical,CA:TRUE"},
                  {"keyUsage", "critical,keyCertSign,cRLSign"}};
  e.insert(e.end(), extra.begin(), extra.end());
  return e;
}

Extensions LeafExtensions(Extensions extra = {}) {
  Extensions e = {{"basicConstraints", "critical,CA:FALSE"},
                  {"keyUsage", "critical,digitalSignature,nonRepudiation"}};
  e.insert(e.end(), extra.begin(), extra.end());
  return e;
}

// `e` with the extension `name` replaced by `value`, or removed if empty.
Extensions Replace(Extensions e, const std::string& name, const std::string& value) {
  e.erase(std::remove_if(e.begin(), e.end(), [&](const auto& x) { return x.first == name; }),
          e.end());
  if (!value.empty()) e.push_back({name, value});
  return e;
}

Rdns Named(const std::string& cn, const std::string& o = "sigverify RFC 5280 tests") {
  return {{"C", "VN"}, {"O", o}, {"CN", cn}};
}

// One case directory and the certificates issued for it.
class Case {
 public:
  Case(const std::filesystem::path& dir, absl::Time now) : dir_(dir), now_(now) {}

  CertSpec Spec(const Rdns& subject, Extensions extensions) {
    CertSpec s;
    s.subject = subject;
    s.not_before = now_ - absl::Hours(24 * 365);
    s.not_after = now_ + absl::Hours(24 * 365 * 5);
    s.serial = serial_++;
    s.extensions = std::move(extensions);
    return s;
  }

  const Issued* Add(const CertSpec& spec, const Issued* issuer, const KeySpec& key = {},
                    EVP_PKEY* reuse_key = nullptr) {
    if (!status_.ok()) return nullptr;
    auto issued = testing::Issue(spec, issuer, key, reuse_key);
    if (!issued.ok()) {
      status_ = issued.status();
      return nullptr;
    }
    owned_.push_back(std::make_unique<Issued>(*std::move(issued)));
    return owned_.back().get();
  }

  const Issued* Root(const std::string& cn = "Root", Extensions extra = {}) {
    return Add(Spec(Named(cn), CaExtensions(std::move(extra))), nullptr);
  }
  const Issued* Ca(const std::string& cn, const Issued* issuer, Extensions extra = {}) {
    return Add(Spec(Named(cn), CaExtensions(std::move(extra))), issuer);
  }
  const Issued* Leaf(const Issued* issuer, Extensions extra = {}) {
    return Add(Spec(Named("Signer"), LeafExtensions(std::move(extra))), issuer);
  }

  // anchors.pem, chain.pem, leaf.pem.
  absl::Status Write(const std::string& name, std::vector<const Issued*> anchors,
                     std::vector<const Issued*> chain, const Issued* leaf) {
    if (!status_.ok()) return status_;
    return WriteRoles(name, {{"anchors", anchors}, {"chain", chain}, {"leaf", {leaf}}});
  }

  absl::Status WriteRoles(
      const std::string& name,
      const std::vector<std::pair<std::string, std::vector<const Issued*>>>& roles) {
    if (!status_.ok()) return status_;
    const std::filesystem::path out = dir_ / name;
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create ", out.string()));
    for (const auto& [role, certs] : roles) {
      std::vector<const X509*> x509s;
      for (const Issued* c : certs) x509s.push_back(c->cert.get());
      if (auto s = WriteCertificates(out / (role + ".pem"), x509s); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  std::filesystem::path dir_;
  absl::Time now_;
  long serial_ = 1;
  absl::Status status_;
  std::vector<std::unique_ptr<Issued>> owned_;
};

// R -> I -> L, with the intermediate's and the leaf's extensions changed.
absl::Status SimpleChain(const std::filesystem::path& dir, absl::Time now, const std::string& name,
                         Extensions ca_extensions, Extensions leaf_extensions) {
  Case c(dir, now);
  const Issued* root = c.Root();
  const Issued* ca = c.Add(c.Spec(Named("CA"), std::move(ca_extensions)), root);
  const Issued* leaf = c.Add(c.Spec(Named("Signer"), std::move(leaf_extensions)), ca);
  return c.Write(name, {root}, {ca}, leaf);
}

// R -> I1 -> I2 -> L.
absl::Status TwoCaChain(const std::filesystem::path& dir, absl::Time now, const std::string& name,
                        Extensions ca1_extensions, Extensions ca2_extensions,
                        Extensions leaf_extensions) {
  Case c(dir, now);
  const Issued* root = c.Root();
  const Issued* ca1 = c.Add(c.Spec(Named("CA 1"), std::move(ca1_extensions)), root);
  const Issued* ca2 = c.Add(c.Spec(Named("CA 2"), std::move(ca2_extensions)), ca1);
  const Issued* leaf = c.Add(c.Spec(Named("Signer"), std::move(leaf_extensions)), ca2);
  return c.Write(name, {root}, {ca1, ca2}, leaf);
}

std::string Policies(std::initializer_list<const char*> oids) {
  std::string s;
  for (const char* o : oids) absl::StrAppend(&s, s.empty() ? "" : ",", o);
  return s;
}

}  // namespace

absl::Status WriteRfc5280Fixtures(const std::filesystem::path& dir, absl::Time now) {
  std::vector<std::function<absl::Status()>> cases;
  auto simple = [&](std::string name, Extensions ca, Extensions leaf) {
    cases.push_back([=, &dir] { return SimpleChain(dir, now, name, ca, leaf); });
  };
  auto two = [&](std::string name, Extensions ca1, Extensions ca2, Extensions leaf) {
    cases.push_back([=, &dir] { return TwoCaChain(dir, now, name, ca1, ca2, leaf); });
  };

  // 6.1.3(a)(1) signatures, (a)(2) validity, (a)(4) name chaining.
  simple("valid", CaExtensions(), LeafExtensions());
  cases.push_back([&] {
    Case c(dir, now);
    const Issued* root = c.Root();
    const Issued* ca = c.Ca("CA", root);
    const Issued* leaf = c.Leaf(ca);
    if (ca != nullptr) {
      // Flip one bit of the CA certificate's signature.
      const ASN1_BIT_STRING* sig = nullptr;
      X509_get0_signature(&sig, nullptr, ca->cert.get());
      const_cast<unsigned char*>(ASN1_STRING_get0_data(sig))[10] ^= 0x01;
    }
    return c.Write("intermediate-bad-signature", {root}, {ca}, leaf);
  });
  struct Window {
    std::string name;
    int start_days;
    int end_days;
  };
  for (const Window& w : std::vector<Window>{{"intermediate-expired", -800, -1},
                                             {"intermediate-not-yet-valid", 1, 800}}) {
    cases.push_back([&, name = w.name, shift_start = w.start_days, shift_end = w.end_days] {
      Case c(dir, now);
      const Issued* root = c.Root();
      CertSpec spec = c.Spec(Named("CA"), CaExtensions());
      spec.not_before = now + absl::Hours(24 * shift_start);
      spec.not_after = now + absl::Hours(24 * shift_end);
      const Issued* ca = c.Add(spec, root);
      CertSpec leaf_spec = c.Spec(Named("Signer"), LeafExtensions());
      leaf_spec.not_before = now - absl::Hours(24 * 900);
      leaf_spec.not_after = now + absl::Hours(24 * 900);
      return c.Write(name, {root}, {ca}, c.Add(leaf_spec, ca));
    });
  }
  cases.push_back([&] {
    Case c(dir, now);
    const Issued* root = c.Root();
    const Issued* ca = c.Ca("CA", root);
    CertSpec spec = c.Spec(Named("Signer"), LeafExtensions());
    spec.issuer_name = Named("Another CA");
    return c.Write("name-chaining-mismatch", {root}, {ca}, c.Add(spec, ca));
  });
  cases.push_back([&] {
    // RFC 5280 7.1: names compare after case folding and collapsing spaces.
    Case c(dir, now);
    const Issued* root = c.Root();
    const Issued* ca = c.Add(c.Spec(Named("Issuing CA One"), CaExtensions()), root);
    CertSpec spec = c.Spec(Named("Signer"), LeafExtensions());
    spec.issuer_name = Named("issuing  ca   ONE", "SIGVERIFY rfc 5280 TESTS");
    return c.Write("name-chaining-case-and-spaces", {root}, {ca}, c.Add(spec, ca));
  });

  // 6.1.4(k) basicConstraints, (l)/(m) pathLenConstraint, (n) keyUsage.
  simple("intermediate-not-ca", Replace(CaExtensions(), "basicConstraints", "critical,CA:FALSE"),
         LeafExtensions());
  simple("intermediate-no-basic-constraints", Replace(CaExtensions(), "basicConstraints", ""),
         LeafExtensions());
  two("pathlen-exceeded", Replace(CaExtensions(), "basicConstraints", "critical,CA:TRUE,pathlen:0"),
      CaExtensions(), LeafExtensions());
  two("pathlen-respected",
      Replace(CaExtensions(), "basicConstraints", "critical,CA:TRUE,pathlen:1"), CaExtensions(),
      LeafExtensions());
  cases.push_back([&] {
    // A re-keyed CA's self-issued certificate does not count (6.1.4(l)).
    Case c(dir, now);
    const Issued* root = c.Root();
    const Issued* ca = c.Add(c.Spec(Named("CA"), Replace(CaExtensions(), "basicConstraints",
                                                         "critical,CA:TRUE,pathlen:0")),
                             root);
    const Issued* rekeyed = c.Add(c.Spec(Named("CA"), CaExtensions()), ca);
    return c.Write("pathlen-self-issued-not-counted", {root}, {ca, rekeyed}, c.Leaf(rekeyed));
  });
  simple("intermediate-keyusage-without-certsign",
         Replace(CaExtensions(), "keyUsage", "critical,digitalSignature"), LeafExtensions());
  simple("intermediate-without-keyusage", Replace(CaExtensions(), "keyUsage", ""),
         LeafExtensions());

  // 4.2.1.3 / 4.2.1.12 for the signer.
  simple("leaf-keyusage-keyencipherment", CaExtensions(),
         Replace(LeafExtensions(), "keyUsage", "critical,keyEncipherment"));
  simple("leaf-keyusage-nonrepudiation-only", CaExtensions(),
         Replace(LeafExtensions(), "keyUsage", "critical,nonRepudiation"));
  simple("leaf-without-keyusage", CaExtensions(), Replace(LeafExtensions(), "keyUsage", ""));
  simple("leaf-eku-serverauth", CaExtensions(),
         LeafExtensions({{"extendedKeyUsage", "serverAuth,clientAuth"}}));
  simple("leaf-eku-emailprotection", CaExtensions(),
         LeafExtensions({{"extendedKeyUsage", "clientAuth,emailProtection"}}));
  simple("leaf-eku-documentsigning", CaExtensions(),
         LeafExtensions({{"extendedKeyUsage", "1.3.6.1.5.5.7.3.36"}}));
  simple("leaf-eku-any", CaExtensions(),
         LeafExtensions({{"extendedKeyUsage", "anyExtendedKeyUsage"}}));

  // 6.1.4(o) / 6.1.5(f): unrecognised critical extensions.
  simple("leaf-unknown-critical-extension", CaExtensions(),
         LeafExtensions({{"1.3.6.1.4.1.55555.1", "critical,DER:05:00"}}));
  simple("leaf-unknown-noncritical-extension", CaExtensions(),
         LeafExtensions({{"1.3.6.1.4.1.55555.1", "DER:05:00"}}));
  simple("intermediate-unknown-critical-extension",
         CaExtensions({{"1.3.6.1.4.1.55555.1", "critical,DER:05:00"}}), LeafExtensions());

  // 6.1.3(b)/(c), 6.1.4(g): name constraints (directoryName subtrees).
  struct Constrained {
    std::string name;
    std::string constraint;
    std::string leaf_org;
  };
  for (const Constrained& k : std::vector<Constrained>{
           {"nameconstraints-permitted", "critical,permitted;dirName:subtree", "Permitted"},
           {"nameconstraints-outside-permitted", "critical,permitted;dirName:subtree", "Elsewhere"},
           {"nameconstraints-excluded", "critical,excluded;dirName:subtree", "Permitted"}}) {
    cases.push_back([&, name = k.name, constraint = k.constraint, leaf_org = k.leaf_org] {
      Case c(dir, now);
      const Issued* root = c.Root();
      CertSpec spec = c.Spec(Named("CA"), CaExtensions({{"nameConstraints", constraint}}));
      spec.sections = "[subtree]\nC = VN\nO = Permitted\n";
      const Issued* ca = c.Add(spec, root);
      const Issued* leaf = c.Add(c.Spec(Named("Signer", leaf_org), LeafExtensions()), ca);
      return c.Write(name, {root}, {ca}, leaf);
    });
  }

  // 6.1.3(d)-(f), 6.1.4(a)-(j), 6.1.5(a)-(g): certificate policies.
  const std::string p1 = Policies({kP1});
  simple("policy-p1", CaExtensions({{"certificatePolicies", p1}}),
         LeafExtensions({{"certificatePolicies", p1}}));
  simple("policy-leaf-p2", CaExtensions({{"certificatePolicies", Policies({kP1, kP2})}}),
         LeafExtensions({{"certificatePolicies", Policies({kP2})}}));
  simple("policy-leaf-none", CaExtensions({{"certificatePolicies", p1}}), LeafExtensions());
  simple("policy-anypolicy-ca", CaExtensions({{"certificatePolicies", Policies({kAnyPolicy})}}),
         LeafExtensions({{"certificatePolicies", p1}}));
  two("policy-anypolicy-two-levels", CaExtensions({{"certificatePolicies", p1}}),
      CaExtensions({{"certificatePolicies", Policies({kAnyPolicy})}}),
      LeafExtensions({{"certificatePolicies", p1}}));
  two("policy-inhibit-any-policy",
      CaExtensions({{"certificatePolicies", p1}, {"inhibitAnyPolicy", "critical,0"}}),
      CaExtensions({{"certificatePolicies", Policies({kAnyPolicy})}}),
      LeafExtensions({{"certificatePolicies", p1}}));
  const std::string mapping = absl::StrCat("critical,", kP1, ":", kP3);
  two("policy-mapping", CaExtensions({{"certificatePolicies", p1}}),
      CaExtensions({{"certificatePolicies", p1}, {"policyMappings", mapping}}),
      LeafExtensions({{"certificatePolicies", Policies({kP3})}}));
  two("policy-mapping-inhibited",
      CaExtensions(
          {{"certificatePolicies", p1}, {"policyConstraints", "critical,inhibitPolicyMapping:0"}}),
      CaExtensions({{"certificatePolicies", p1}, {"policyMappings", mapping}}),
      LeafExtensions({{"certificatePolicies", Policies({kP3})}}));
  // 6.1.4(a): anyPolicy may not be mapped to or from.
  two("policy-mapping-anypolicy", CaExtensions({{"certificatePolicies", p1}}),
      CaExtensions({{"certificatePolicies", p1},
                    {"policyMappings", absl::StrCat("critical,", kAnyPolicy, ":", kP3)}}),
      LeafExtensions({{"certificatePolicies", Policies({kP3})}}));
  simple("policy-require-explicit-unmet",
         CaExtensions({{"certificatePolicies", p1},
                       {"policyConstraints", "critical,requireExplicitPolicy:0"}}),
         LeafExtensions());
  simple("policy-require-explicit-met",
         CaExtensions({{"certificatePolicies", p1},
                       {"policyConstraints", "critical,requireExplicitPolicy:0"}}),
         LeafExtensions({{"certificatePolicies", p1}}));

  // Algorithm policy on the path.
  cases.push_back([&] {
    Case c(dir, now);
    const Issued* root = c.Root();
    const Issued* ca = c.Ca("CA", root);
    CertSpec spec = c.Spec(Named("Signer"), LeafExtensions());
    spec.digest = "sha1";
    return c.Write("leaf-signed-with-sha1", {root}, {ca}, c.Add(spec, ca));
  });
  cases.push_back([&] {
    Case c(dir, now);
    const Issued* root = c.Root();
    const Issued* ca = c.Add(c.Spec(Named("CA"), CaExtensions()), root, KeySpec{"rsa", 1024});
    return c.Write("intermediate-rsa1024", {root}, {ca}, c.Leaf(ca));
  });

  // Path building: an old and a new root, the new one cross-certified by the
  // old; a loop of two CAs certifying each other; a flood of same-named CAs.
  cases.push_back([&] {
    Case c(dir, now);
    const Issued* old_root = c.Root("Old Root");
    const Issued* new_root = c.Root("New Root");
    if (new_root == nullptr) return absl::InternalError("new root");
    const Issued* cross =
        c.Add(c.Spec(Named("New Root"), CaExtensions()), old_root, {}, new_root->key.get());
    CertSpec expired = c.Spec(Named("New Root"), CaExtensions());
    expired.not_before = now - absl::Hours(24 * 800);
    expired.not_after = now - absl::Hours(24);
    const Issued* expired_cross = c.Add(expired, old_root, {}, new_root->key.get());
    const Issued* ca = c.Ca("CA", new_root);
    return c.WriteRoles("cross-certified", {{"old-root", {old_root}},
                                            {"new-root", {new_root}},
                                            {"cross", {cross}},
                                            {"expired-cross", {expired_cross}},
                                            {"ca", {ca}},
                                            {"leaf", {c.Leaf(ca)}}});
  });
  cases.push_back([&] {
    Case c(dir, now);
    const Issued* root = c.Root();
    const Issued* b0 = c.Root("Loop B");
    if (b0 == nullptr) return absl::InternalError("loop");
    const Issued* a = c.Ca("Loop A", b0);
    const Issued* b = c.Add(c.Spec(Named("Loop B"), CaExtensions()), a, {}, b0->key.get());
    return c.Write("loop", {root}, {a, b}, c.Leaf(a));
  });
  cases.push_back([&] {
    Case c(dir, now);
    const Issued* root = c.Root();
    std::vector<const Issued*> flood;
    const Issued* first = nullptr;
    for (int i = 0; i < 24; ++i) {
      CertSpec spec = c.Spec(Named("Flood CA"), CaExtensions());
      spec.key_identifiers = false;
      const Issued* ca = c.Add(spec, first);
      if (first == nullptr) first = ca;
      flood.push_back(ca);
    }
    CertSpec leaf = c.Spec(Named("Signer"), LeafExtensions());
    leaf.key_identifiers = false;
    return c.Write("name-flood", {root}, flood, c.Add(leaf, first));
  });

  for (const auto& make : cases) {
    if (auto s = make(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace sigverify::testing
