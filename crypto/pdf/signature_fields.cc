#include "crypto/pdf/signature_fields.h"

#include <algorithm>
#include <limits>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <set>
#include <utility>

#include "crypto/cms/format_error.h"

namespace sigverify::crypto::pdf {
namespace {

std::string NameOf(QPDFObjectHandle h) { return h.isName() ? h.getName().substr(1) : ""; }

std::string TextOf(QPDFObjectHandle h) { return h.isString() ? h.getUTF8Value() : ""; }

void ReadTransforms(QPDFObjectHandle sig, SignatureField& out) {
  QPDFObjectHandle references = sig.getKey("/Reference");
  if (!references.isArray()) return;
  for (QPDFObjectHandle ref : references.getArrayAsVector()) {
    if (!ref.isDictionary()) continue;
    const std::string method = NameOf(ref.getKey("/TransformMethod"));
    QPDFObjectHandle params = ref.getKey("/TransformParams");
    if (method == "DocMDP") {
      out.docmdp_level = 2;  // the default of /P
      if (params.isDictionary() && params.getKey("/P").isInteger()) {
        out.docmdp_level =
            static_cast<int>(std::clamp<long long>(params.getKey("/P").getIntValue(), 1, 3));
      }
    } else if (method == "FieldMDP" && params.isDictionary()) {
      out.fieldmdp_action = NameOf(params.getKey("/Action"));
      QPDFObjectHandle fields = params.getKey("/Fields");
      if (fields.isArray()) {
        for (QPDFObjectHandle f : fields.getArrayAsVector()) {
          if (f.isString()) out.fieldmdp_fields.push_back(f.getUTF8Value());
        }
      }
    }
  }
}

SignatureField ReadSignature(std::string name, QPDFObjectHandle field, QPDFObjectHandle sig,
                             QPDFObjGen docmdp_signature) {
  SignatureField out;
  out.field_name = std::move(name);
  out.field = field.getObjGen();
  out.value = sig.getObjGen();
  out.document_timestamp = NameOf(sig.getKey("/Type")) == "DocTimeStamp";
  out.sub_filter = NameOf(sig.getKey("/SubFilter"));
  QPDFObjectHandle range = sig.getKey("/ByteRange");
  if (range.isArray()) {
    out.byte_range_well_formed = range.getArrayNItems() == 4;
    for (QPDFObjectHandle n : range.getArrayAsVector()) {
      if (!n.isInteger()) {
        out.byte_range_well_formed = false;
        break;
      }
      out.byte_range.push_back(n.getIntValue());
    }
  }
  QPDFObjectHandle contents = sig.getKey("/Contents");
  if (contents.isString()) {
    out.contents = contents.getStringValue();
    out.contents_offset = contents.getParsedOffset();
  }
  ReadTransforms(sig, out);
  // Only the signature /Perms /DocMDP names certifies (ISO 32000-1
  // 12.8.2.2.1); without a DocMDP transform in it, the level is the default.
  const bool certification = out.value.isIndirect() && out.value == docmdp_signature;
  if (!certification) {
    out.docmdp_level = 0;
  } else if (out.docmdp_level == 0) {
    out.docmdp_level = 2;
  }
  QPDFObjectHandle lock = field.getKey("/Lock");
  if (lock.isDictionary() && out.fieldmdp_action.empty()) {
    out.fieldmdp_action = NameOf(lock.getKey("/Action"));
    QPDFObjectHandle fields = lock.getKey("/Fields");
    if (fields.isArray()) {
      for (QPDFObjectHandle f : fields.getArrayAsVector()) {
        if (f.isString()) out.fieldmdp_fields.push_back(f.getUTF8Value());
      }
    }
  }
  out.reason = TextOf(sig.getKey("/Reason"));
  out.location = TextOf(sig.getKey("/Location"));
  out.signing_time = TextOf(sig.getKey("/M"));
  return out;
}

struct Pending {
  QPDFObjectHandle node;
  std::string prefix;
  std::string inherited_type;
  int depth;
};

}  // namespace

absl::StatusOr<std::vector<SignatureField>> FindSignatureFields(PdfFile& file,
                                                                const PdfLimits& limits) {
  std::vector<SignatureField> out;
  absl::Status status = RunQpdf("field tree", [&]() -> absl::Status {
    QPDFObjectHandle root = file.qpdf().getRoot();
    QPDFObjectHandle acroform = root.getKey("/AcroForm");
    if (!acroform.isDictionary()) return absl::OkStatus();
    QPDFObjectHandle fields = acroform.getKey("/Fields");
    if (!fields.isArray()) return absl::OkStatus();
    QPDFObjGen docmdp;
    QPDFObjectHandle perms = root.getKey("/Perms");
    if (perms.isDictionary()) docmdp = perms.getKey("/DocMDP").getObjGen();

    std::vector<Pending> stack;
    std::vector<QPDFObjectHandle> roots = fields.getArrayAsVector();
    for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.push_back({*it, "", "", 0});
    std::set<QPDFObjGen> seen;
    int visited = 0;
    while (!stack.empty()) {
      Pending p = std::move(stack.back());
      stack.pop_back();
      if (!p.node.isDictionary()) continue;
      if (p.node.isIndirect() && !seen.insert(p.node.getObjGen()).second) {
        return cms::FormatError("PDF field tree: a field is reached twice");
      }
      if (++visited > limits.max_fields) {
        return cms::LimitError("max_pdf_fields", limits.max_fields, visited);
      }
      if (p.depth > limits.max_field_depth) {
        return cms::LimitError("max_pdf_field_depth", limits.max_field_depth, p.depth);
      }
      std::string name = p.prefix;
      QPDFObjectHandle t = p.node.getKey("/T");
      if (t.isString()) name = name.empty() ? t.getUTF8Value() : name + "." + t.getUTF8Value();
      std::string type = NameOf(p.node.getKey("/FT"));
      if (type.empty()) type = p.inherited_type;
      QPDFObjectHandle value = p.node.getKey("/V");
      if (type == "Sig" && value.isDictionary()) {
        if (static_cast<int>(out.size()) == limits.max_signatures) {
          return cms::LimitError("max_pdf_signatures", limits.max_signatures,
                                 limits.max_signatures + 1);
        }
        out.push_back(ReadSignature(name, p.node, value, docmdp));
      }
      QPDFObjectHandle kids = p.node.getKey("/Kids");
      if (kids.isArray()) {
        std::vector<QPDFObjectHandle> k = kids.getArrayAsVector();
        for (auto it = k.rbegin(); it != k.rend(); ++it) {
          stack.push_back({*it, name, type, p.depth + 1});
        }
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::stable_sort(out.begin(), out.end(), [](const SignatureField& a, const SignatureField& b) {
    auto key = [](const SignatureField& s) {
      return s.byte_range_well_formed ? s.byte_range[2] + s.byte_range[3]
                                      : std::numeric_limits<int64_t>::max();
    };
    return key(a) < key(b);
  });
  return out;
}

}  // namespace sigverify::crypto::pdf
