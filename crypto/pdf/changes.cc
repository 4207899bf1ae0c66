#include "crypto/pdf/changes.h"

#include <algorithm>
#include <map>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/cms/format_error.h"

namespace sigverify::crypto::pdf {
namespace {

using Level = ModificationLevel;

constexpr size_t kMaxChangesListed = 64;

std::string Ref(QPDFObjGen og) { return absl::StrCat("object ", og.getObj(), " ", og.getGen()); }

std::string NameOf(QPDFObjectHandle h) { return h.isName() ? h.getName() : ""; }

struct Role {
  enum Kind {
    kCatalog,
    kPageTreeNode,
    kPage,
    kPageContent,
    kAnnotsArray,
    kAnnotation,
    kAppearance,
    kAcroForm,
    kFieldsArray,
    kField,
    kSignatureValue,
    kDss,
    kInfo,
    kMetadata,
  };
  Kind kind = kCatalog;
  int page = 0;      // 1-based, for pages, annotation arrays and annotations
  std::string name;  // a field's name, an annotation's /Subtype
  QPDFObjGen owner;  // an appearance's annotation
  bool signature_field = false;
  bool signed_signature = false;  // holds a signature in the signed revision
};

// The roles of the objects of the signed revision.
class RoleMap {
 public:
  void Set(QPDFObjectHandle h, Role role) {
    if (h.isIndirect()) roles_[h.getObjGen()] = std::move(role);
  }
  const Role* Find(QPDFObjGen og) const {
    auto it = roles_.find(og);
    return it == roles_.end() ? nullptr : &it->second;
  }

 private:
  std::map<QPDFObjGen, Role> roles_;
};

// The fully qualified name and kind of a field (a widget without /T is
// named by its parent), following /Parent from the field itself.
struct FieldFacts {
  std::string name;
  bool signature = false;
  bool has_value = false;
  bool document_timestamp = false;  // its value is a /DocTimeStamp
};

FieldFacts FactsOf(QPDFObjectHandle field) {
  FieldFacts out;
  std::set<QPDFObjGen> seen;
  std::vector<std::string> parts;
  for (QPDFObjectHandle f = field; f.isDictionary(); f = f.getKey("/Parent")) {
    if (f.isIndirect() && !seen.insert(f.getObjGen()).second) break;
    if (seen.size() > 64) break;
    if (f.getKey("/T").isString()) parts.push_back(f.getKey("/T").getUTF8Value());
    if (NameOf(f.getKey("/FT")) == "/Sig" && !out.signature) out.signature = true;
    if (f.getKey("/V").isDictionary() && !out.has_value) {
      out.has_value = true;
      out.document_timestamp = NameOf(f.getKey("/V").getKey("/Type")) == "/DocTimeStamp";
    }
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    out.name += out.name.empty() ? *it : "." + *it;
  }
  return out;
}

std::vector<QPDFObjectHandle> Pages(QPDF& qpdf) { return qpdf.getAllPages(); }

void MarkAppearances(QPDFObjectHandle annotation, RoleMap& roles) {
  QPDFObjectHandle ap = annotation.getKey("/AP");
  if (!ap.isDictionary()) return;
  Role role;
  role.kind = Role::kAppearance;
  role.owner = annotation.getObjGen();
  roles.Set(ap, role);
  for (const std::string& key : {std::string("/N"), std::string("/R"), std::string("/D")}) {
    QPDFObjectHandle entry = ap.getKey(key);
    roles.Set(entry, role);
    if (entry.isDictionary() && !entry.isStream()) {
      for (auto& [state, stream] : entry.getDictAsMap()) roles.Set(stream, role);
    }
  }
}

RoleMap RolesOf(QPDF& qpdf, const PdfLimits& limits) {
  RoleMap roles;
  QPDFObjectHandle root = qpdf.getRoot();
  QPDFObjectHandle trailer = qpdf.getTrailer();
  roles.Set(trailer.getKey("/Info"), {Role::kInfo});
  roles.Set(root.getKey("/Metadata"), {Role::kMetadata});
  // The page tree's inner nodes.
  std::vector<QPDFObjectHandle> nodes = {root.getKey("/Pages")};
  std::set<QPDFObjGen> seen;
  while (!nodes.empty() && seen.size() < limits.max_walk_objects) {
    QPDFObjectHandle node = nodes.back();
    nodes.pop_back();
    if (!node.isDictionary() || !node.isIndirect() || !seen.insert(node.getObjGen()).second) {
      continue;
    }
    QPDFObjectHandle kids = node.getKey("/Kids");
    if (!kids.isArray()) continue;
    roles.Set(node, {Role::kPageTreeNode});
    for (QPDFObjectHandle kid : kids.getArrayAsVector()) nodes.push_back(kid);
  }
  int number = 0;
  for (QPDFObjectHandle page : Pages(qpdf)) {
    ++number;
    Role page_role{Role::kPage};
    page_role.page = number;
    roles.Set(page, page_role);
    Role content_role{Role::kPageContent};
    content_role.page = number;
    QPDFObjectHandle contents = page.getKey("/Contents");
    roles.Set(contents, content_role);
    if (contents.isArray()) {
      for (QPDFObjectHandle stream : contents.getArrayAsVector()) roles.Set(stream, content_role);
    }
    QPDFObjectHandle annots = page.getKey("/Annots");
    if (!annots.isArray()) continue;
    Role array_role{Role::kAnnotsArray};
    array_role.page = number;
    roles.Set(annots, array_role);
    for (QPDFObjectHandle annotation : annots.getArrayAsVector()) {
      if (!annotation.isDictionary()) continue;
      Role role{Role::kAnnotation};
      role.page = number;
      role.name = NameOf(annotation.getKey("/Subtype"));
      roles.Set(annotation, role);
      MarkAppearances(annotation, roles);
    }
  }
  QPDFObjectHandle acroform = root.getKey("/AcroForm");
  if (acroform.isDictionary()) {
    roles.Set(acroform, {Role::kAcroForm});
    QPDFObjectHandle fields = acroform.getKey("/Fields");
    roles.Set(fields, {Role::kFieldsArray});
    std::vector<QPDFObjectHandle> pending =
        fields.isArray() ? fields.getArrayAsVector() : std::vector<QPDFObjectHandle>{};
    std::set<QPDFObjGen> visited;
    while (!pending.empty() && visited.size() < static_cast<size_t>(limits.max_fields)) {
      QPDFObjectHandle field = pending.back();
      pending.pop_back();
      if (!field.isDictionary() || !field.isIndirect() ||
          !visited.insert(field.getObjGen()).second) {
        continue;
      }
      const FieldFacts facts = FactsOf(field);
      Role role{Role::kField};
      role.name = facts.name;
      role.signature_field = facts.signature;
      role.signed_signature = facts.signature && facts.has_value;
      if (const Role* as_annotation = roles.Find(field.getObjGen()))
        role.page = as_annotation->page;
      roles.Set(field, role);
      if (role.signed_signature) {
        Role value{Role::kSignatureValue};
        value.name = facts.name;
        roles.Set(field.getKey("/V"), value);
      }
      MarkAppearances(field, roles);
      QPDFObjectHandle kids = field.getKey("/Kids");
      if (kids.isArray()) {
        for (QPDFObjectHandle kid : kids.getArrayAsVector()) pending.push_back(kid);
      }
    }
  }
  // The DSS and what it holds.
  std::vector<QPDFObjectHandle> dss = {root.getKey("/DSS")};
  std::set<QPDFObjGen> dss_seen;
  while (!dss.empty() && dss_seen.size() < limits.max_walk_objects) {
    QPDFObjectHandle h = dss.back();
    dss.pop_back();
    if (h.isIndirect()) {
      if (!dss_seen.insert(h.getObjGen()).second) continue;
      roles.Set(h, {Role::kDss});
    }
    if (h.isStream()) continue;
    if (h.isArray()) {
      for (QPDFObjectHandle e : h.getArrayAsVector()) dss.push_back(e);
    } else if (h.isDictionary()) {
      for (auto& [key, value] : h.getDictAsMap()) dss.push_back(value);
    }
  }
  roles.Set(root, {Role::kCatalog});
  return roles;
}

constexpr int kMaxCompareDepth = 500;

bool SameItem(QPDFObjectHandle a, QPDFObjectHandle b, int depth);

// Whether two direct values (or the values of two objects) are the same,
// their indirect references compared as references, never resolved: qpdf's
// own unparse() resolves every reference of a dictionary to test it for
// null, and a font's 200 KB /W array would be parsed to compare an AcroForm.
bool SameContents(QPDFObjectHandle a, QPDFObjectHandle b, int depth) {
  if (depth > kMaxCompareDepth) return false;
  if (a.isStream() || b.isStream()) {
    if (!a.isStream() || !b.isStream()) return false;
    if (!SameContents(a.getDict(), b.getDict(), depth + 1)) return false;
    std::shared_ptr<Buffer> da = a.getRawStreamData();
    std::shared_ptr<Buffer> db = b.getRawStreamData();
    return da->getSize() == db->getSize() &&
           std::equal(da->getBuffer(), da->getBuffer() + da->getSize(), db->getBuffer());
  }
  if (a.getTypeCode() != b.getTypeCode()) return false;
  if (a.isArray()) {
    const int n = a.getArrayNItems();
    if (n != b.getArrayNItems()) return false;
    for (int i = 0; i < n; ++i) {
      if (!SameItem(a.getArrayItem(i), b.getArrayItem(i), depth + 1)) return false;
    }
    return true;
  }
  if (a.isDictionary()) {
    // getDictAsMap, not getKeys: getKeys resolves every value (to leave
    // out nulls). A missing key and a null value are the same.
    const std::map<std::string, QPDFObjectHandle> ma = a.getDictAsMap();
    const std::map<std::string, QPDFObjectHandle> mb = b.getDictAsMap();
    const QPDFObjectHandle null = QPDFObjectHandle::newNull();
    for (const auto& [key, value] : ma) {
      auto it = mb.find(key);
      if (!SameItem(value, it == mb.end() ? null : it->second, depth + 1)) return false;
    }
    for (const auto& [key, value] : mb) {
      if (ma.count(key) == 0 && !SameItem(null, value, depth + 1)) return false;
    }
    return true;
  }
  return a.unparse() == b.unparse();  // a scalar
}

bool SameItem(QPDFObjectHandle a, QPDFObjectHandle b, int depth) {
  if (a.isIndirect() || b.isIndirect()) {
    return a.isIndirect() && b.isIndirect() && a.getObjGen() == b.getObjGen();
  }
  return SameContents(a, b, depth);
}

// Whether two versions of an object are the same value.
bool SameValue(QPDFObjectHandle a, QPDFObjectHandle b) { return SameContents(a, b, 0); }

// The keys whose values differ (a stream's dictionary for a stream).
std::vector<std::string> ChangedKeys(QPDFObjectHandle a, QPDFObjectHandle b) {
  if (a.isStream()) a = a.getDict();
  if (b.isStream()) b = b.getDict();
  std::map<std::string, QPDFObjectHandle> ma;
  std::map<std::string, QPDFObjectHandle> mb;
  if (a.isDictionary()) ma = a.getDictAsMap();
  if (b.isDictionary()) mb = b.getDictAsMap();
  std::set<std::string> keys;
  for (const auto& [key, value] : ma) keys.insert(key);
  for (const auto& [key, value] : mb) keys.insert(key);
  std::vector<std::string> out;
  const QPDFObjectHandle null = QPDFObjectHandle::newNull();
  for (const std::string& k : keys) {
    auto ia = ma.find(k);
    auto ib = mb.find(k);
    if (!SameItem(ia == ma.end() ? null : ia->second, ib == mb.end() ? null : ib->second, 0)) {
      out.push_back(k);
    }
  }
  return out;
}

// The members of an array (a reference per indirect member, the written
// form of a direct one).
std::set<std::string> MembersOf(QPDFObjectHandle array) {
  std::set<std::string> out;
  if (!array.isArray()) return out;
  for (QPDFObjectHandle m : array.getArrayAsVector()) out.insert(m.unparse());
  return out;
}

class Classifier {
 public:
  Classifier(PdfFile& before, PdfFile& after, const PdfLimits& limits)
      : before_(before), after_(after), limits_(limits) {}

  absl::StatusOr<ChangeReport> Run() {
    std::vector<QPDFObjGen> changed;
    std::vector<QPDFObjGen> freed;
    for (const auto& [og, entry] : before_.xref()) {
      auto it = after_.xref().find(og);
      if (it == after_.xref().end()) {
        freed.push_back(og);
        continue;
      }
      if (SameEntry(entry, it->second)) continue;
      if (!SameValue(before_.qpdf().getObjectByObjGen(og), after_.qpdf().getObjectByObjGen(og))) {
        changed.push_back(og);
      }
    }
    CompareTrailers();
    if (changed.empty() && freed.empty() && report_.changes.empty()) return report_;
    roles_ = RolesOf(before_.qpdf(), limits_);
    ComparePageLists();
    for (QPDFObjGen og : changed) {
      absl::Status s = Classify(og);
      if (!s.ok()) return s;
    }
    for (QPDFObjGen og : freed) {
      const Role* role = roles_.Find(og);
      if (role != nullptr) {
        Add(Level::kOther, absl::StrCat(Ref(og), " freed: it was ", Describe(*role)));
      } else {
        absl::StatusOr<bool> reached = Reached(og);
        if (!reached.ok()) return reached.status();
        if (*reached) Add(Level::kOther, absl::StrCat(Ref(og), " freed while still in use"));
      }
    }
    return report_;
  }

 private:
  bool SameEntry(const QPDFXRefEntry& a, const QPDFXRefEntry& b) const {
    if (a.getType() != b.getType()) return false;
    if (a.getType() == 1) return a.getOffset() == b.getOffset();
    if (a.getType() != 2) return false;
    if (a.getObjStreamNumber() != b.getObjStreamNumber() ||
        a.getObjStreamIndex() != b.getObjStreamIndex()) {
      return false;
    }
    // The same place in an object stream that is itself unchanged.
    const QPDFObjGen stream(a.getObjStreamNumber(), 0);
    auto sa = before_.xref().find(stream);
    auto sb = after_.xref().find(stream);
    return sa != before_.xref().end() && sb != after_.xref().end() && sa->second.getType() == 1 &&
           sb->second.getType() == 1 && sa->second.getOffset() == sb->second.getOffset();
  }

  void Add(Level level, std::string what, std::string field = "", bool signs = false) {
    report_.level = std::max(report_.level, level);
    if (report_.changes.size() == kMaxChangesListed) {
      report_.changes.push_back({Level::kNone, "more changes not listed"});
      return;
    }
    if (report_.changes.size() > kMaxChangesListed) return;
    report_.changes.push_back({level, std::move(what), std::move(field), signs});
  }

  static std::string Describe(const Role& role) {
    switch (role.kind) {
      case Role::kCatalog:
        return "the document catalog";
      case Role::kPageTreeNode:
        return "a node of the page tree";
      case Role::kPage:
        return absl::StrCat("page ", role.page);
      case Role::kPageContent:
        return absl::StrCat("the content of page ", role.page);
      case Role::kAnnotsArray:
        return absl::StrCat("the annotations of page ", role.page);
      case Role::kAnnotation:
        return absl::StrCat("a ", role.name, " annotation on page ", role.page);
      case Role::kAppearance:
        return "an appearance stream";
      case Role::kAcroForm:
        return "the interactive form (AcroForm)";
      case Role::kFieldsArray:
        return "the form's field list";
      case Role::kField:
        return absl::StrCat(role.signed_signature ? "signed signature field " : "field ",
                            role.name);
      case Role::kSignatureValue:
        return absl::StrCat("the signature dictionary of field ", role.name);
      case Role::kDss:
        return "the document security store (DSS)";
      case Role::kInfo:
        return "the document information";
      case Role::kMetadata:
        return "the XMP metadata";
    }
    return "an object";
  }

  void CompareTrailers() {
    QPDFObjectHandle a = before_.qpdf().getTrailer();
    QPDFObjectHandle b = after_.qpdf().getTrailer();
    if (a.getKey("/Root").getObjGen() != b.getKey("/Root").getObjGen()) {
      Add(Level::kOther, "the document catalog was replaced (trailer /Root)");
    }
    if (a.getKey("/Encrypt").unparse() != b.getKey("/Encrypt").unparse()) {
      Add(Level::kOther, "the encryption dictionary changed (trailer /Encrypt)");
    }
    if (a.getKey("/Info").unparse() != b.getKey("/Info").unparse()) {
      Add(Level::kFormFillingAndSignatures, "the document information was replaced");
    }
  }

  void ComparePageLists() {
    std::vector<QPDFObjectHandle> a = Pages(before_.qpdf());
    std::vector<QPDFObjectHandle> b = Pages(after_.qpdf());
    bool same = a.size() == b.size();
    for (size_t i = 0; same && i < a.size(); ++i) same = a[i].getObjGen() == b[i].getObjGen();
    if (!same) {
      Add(Level::kOther, absl::StrCat("pages added, removed or reordered (", a.size(),
                                      " pages, now ", b.size(), ")"));
    }
  }

  absl::StatusOr<bool> Reached(QPDFObjGen target) {
    if (!reached_computed_) {
      reached_computed_ = true;
      std::vector<QPDFObjectHandle> pending = {before_.qpdf().getTrailer()};
      while (!pending.empty()) {
        QPDFObjectHandle h = pending.back();
        pending.pop_back();
        if (h.isIndirect()) {
          if (!reached_.insert(h.getObjGen()).second) continue;
          if (reached_.size() > limits_.max_walk_objects) {
            return cms::LimitError("max_pdf_walk_objects",
                                   static_cast<int64_t>(limits_.max_walk_objects),
                                   static_cast<int64_t>(reached_.size()));
          }
        }
        if (h.isStream()) h = h.getDict();
        if (h.isArray()) {
          for (QPDFObjectHandle e : h.getArrayAsVector()) pending.push_back(e);
        } else if (h.isDictionary()) {
          for (auto& [key, value] : h.getDictAsMap()) pending.push_back(value);
        }
      }
    }
    return reached_.count(target) > 0;
  }

  // The widgets and fields a new annotation or field is.
  void Added(QPDFObjectHandle object, int page, bool as_field) {
    // A field merged with its widget is added to the form and to a page.
    if (object.isIndirect() && !added_.insert(object.getObjGen()).second) return;
    const std::string where = page > 0 ? absl::StrCat(" on page ", page) : "";
    const bool widget = NameOf(object.getKey("/Subtype")) == "/Widget";
    if (as_field || widget) {
      const FieldFacts facts = FactsOf(object);
      if (facts.signature && facts.document_timestamp) {
        Add(Level::kLtaUpdates, absl::StrCat("document timestamp ", facts.name, " added", where),
            facts.name, true);
      } else if (facts.signature) {
        Add(Level::kFormFillingAndSignatures,
            absl::StrCat("signature field ", facts.name, " added", where), facts.name,
            facts.has_value);
      } else {
        Add(Level::kAnnotations, absl::StrCat("form field ", facts.name, " added", where),
            facts.name);
      }
      return;
    }
    Add(Level::kAnnotations,
        absl::StrCat(NameOf(object.getKey("/Subtype")), " annotation added", where));
  }

  void Removed(QPDFObjectHandle old, int page, bool as_field) {
    const std::string where = page > 0 ? absl::StrCat(" from page ", page) : "";
    const Role* role = old.isIndirect() ? roles_.Find(old.getObjGen()) : nullptr;
    if (role != nullptr && role->kind == Role::kField && role->signed_signature) {
      Add(Level::kOther, absl::StrCat("signed signature field ", role->name, " removed", where));
      return;
    }
    Add(Level::kAnnotations,
        absl::StrCat(as_field ? "a form field" : "an annotation", " removed", where));
  }

  void MembersChanged(QPDFObjectHandle before, QPDFObjectHandle after, int page, bool as_field) {
    const std::set<std::string> a = MembersOf(before);
    const std::set<std::string> b = MembersOf(after);
    if (after.isArray()) {
      for (QPDFObjectHandle m : after.getArrayAsVector()) {
        if (a.count(m.unparse()) == 0) Added(m, page, as_field);
      }
    }
    if (before.isArray()) {
      for (QPDFObjectHandle m : before.getArrayAsVector()) {
        if (b.count(m.unparse()) == 0) Removed(m, page, as_field);
      }
    }
  }

  void AcroFormChanged(QPDFObjectHandle before, QPDFObjectHandle after) {
    for (const std::string& key : ChangedKeys(before, after)) {
      if (key == "/Fields") {
        MembersChanged(before.getKeyIfDict("/Fields"), after.getKey("/Fields"), 0, true);
      } else if (key == "/SigFlags" || key == "/DA" || key == "/DR" || key == "/NeedAppearances") {
        Add(Level::kFormFillingAndSignatures, absl::StrCat("interactive form: ", key, " changed"));
      } else {
        Add(Level::kOther, absl::StrCat("interactive form: ", key, " changed"));
      }
    }
  }

  void CatalogChanged(QPDFObjectHandle before, QPDFObjectHandle after) {
    for (const std::string& key : ChangedKeys(before, after)) {
      if (key == "/AcroForm") {
        AcroFormChanged(before.getKey("/AcroForm"), after.getKey("/AcroForm"));
      } else if (key == "/DSS") {
        Add(Level::kLtaUpdates, "document security store (DSS) added or replaced");
      } else if (key == "/Extensions") {
        Add(Level::kLtaUpdates, "developer extensions (/Extensions) updated");
      } else if (key == "/Metadata") {
        Add(Level::kFormFillingAndSignatures, "XMP metadata replaced");
      } else {
        Add(Level::kOther, absl::StrCat("document catalog: ", key, " changed"));
      }
    }
  }

  void FieldChanged(const Role& role, QPDFObjectHandle before, QPDFObjectHandle after) {
    for (const std::string& key : ChangedKeys(before, after)) {
      const std::string what = absl::StrCat("field ", role.name, ": ", key, " changed");
      if (role.signed_signature) {
        Add(Level::kOther, absl::StrCat("signed signature ", what), role.name);
      } else if (key == "/V") {
        Add(Level::kFormFillingAndSignatures,
            role.signature_field ? absl::StrCat("signature field ", role.name, " signed")
                                 : absl::StrCat("field ", role.name, " filled in"),
            role.name, role.signature_field);
      } else if (key == "/AP" || key == "/AS" || key == "/MK" || key == "/DA" || key == "/Kids" ||
                 key == "/Lock" || key == "/SV") {
        Add(Level::kFormFillingAndSignatures, what, role.name);
      } else if (key == "/F" || key == "/Rect" || key == "/M") {
        Add(Level::kAnnotations, what, role.name);
      } else {
        Add(Level::kOther, what, role.name);
      }
    }
  }

  absl::Status Classify(QPDFObjGen og) {
    QPDFObjectHandle before = before_.qpdf().getObjectByObjGen(og);
    QPDFObjectHandle after = after_.qpdf().getObjectByObjGen(og);
    const Role* role = roles_.Find(og);
    if (role == nullptr) {
      absl::StatusOr<bool> reached = Reached(og);
      if (!reached.ok()) return reached.status();
      if (*reached) Add(Level::kOther, absl::StrCat(Ref(og), " changed"));
      return absl::OkStatus();
    }
    switch (role->kind) {
      case Role::kCatalog:
        CatalogChanged(before, after);
        break;
      case Role::kPage:
        for (const std::string& key : ChangedKeys(before, after)) {
          if (key == "/Annots") {
            MembersChanged(before.getKey("/Annots"), after.getKey("/Annots"), role->page, false);
          } else {
            Add(Level::kOther,
                absl::StrCat("page ", role->page, ": ", key, " changed (", Ref(og), ")"));
          }
        }
        break;
      case Role::kAnnotsArray:
        MembersChanged(before, after, role->page, false);
        break;
      case Role::kAcroForm:
        AcroFormChanged(before, after);
        break;
      case Role::kFieldsArray:
        MembersChanged(before, after, 0, true);
        break;
      case Role::kField:
        FieldChanged(*role, before, after);
        break;
      case Role::kAnnotation:
        Add(Level::kAnnotations, absl::StrCat(Describe(*role), " changed"));
        break;
      case Role::kAppearance: {
        const Role* owner = roles_.Find(role->owner);
        if (owner != nullptr && owner->kind == Role::kField) {
          Add(owner->signed_signature ? Level::kOther : Level::kFormFillingAndSignatures,
              absl::StrCat("appearance of ", Describe(*owner), " changed"), owner->name);
        } else {
          Add(Level::kAnnotations, "appearance of an annotation changed");
        }
        break;
      }
      case Role::kDss:
        Add(Level::kLtaUpdates, "document security store (DSS) updated");
        break;
      case Role::kInfo:
        Add(Level::kFormFillingAndSignatures, "document information updated");
        break;
      case Role::kMetadata:
        Add(Level::kFormFillingAndSignatures, "XMP metadata updated");
        break;
      case Role::kPageContent:
      case Role::kPageTreeNode:
      case Role::kSignatureValue:
        Add(Level::kOther, absl::StrCat(Describe(*role), " changed (", Ref(og), ")"), role->name);
        break;
    }
    return absl::OkStatus();
  }

  PdfFile& before_;
  PdfFile& after_;
  const PdfLimits& limits_;
  ChangeReport report_;
  RoleMap roles_;
  std::set<QPDFObjGen> added_;
  bool reached_computed_ = false;
  std::set<QPDFObjGen> reached_;
};

}  // namespace

absl::StatusOr<ChangeReport> ClassifyChanges(PdfFile& signed_revision, PdfFile& final_file,
                                             const PdfLimits& limits) {
  absl::StatusOr<ChangeReport> out = ChangeReport{};
  absl::Status status = RunQpdf("changes", [&]() -> absl::Status {
    out = Classifier(signed_revision, final_file, limits).Run();
    return out.status();
  });
  if (!status.ok()) return status;
  return out;
}

ModificationLevel AllowedByDocMdp(int p) {
  switch (p) {
    case 1:
      return Level::kLtaUpdates;
    case 2:
      return Level::kFormFillingAndSignatures;
    default:
      return Level::kAnnotations;
  }
}

}  // namespace sigverify::crypto::pdf
