#include "tests/pki/pdf_factory.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sigverify::testing {
namespace {

std::unique_ptr<QPDF> Open(std::string_view pdf) {
  auto q = std::make_unique<QPDF>();
  q->setSuppressWarnings(true);
  q->processMemoryFile("test", pdf.data(), pdf.size());
  return q;
}

// The offset the last "startxref" names.
absl::StatusOr<size_t> LastStartXref(std::string_view pdf) {
  const size_t at = pdf.rfind("startxref");
  if (at == std::string_view::npos) return absl::InvalidArgumentError("no startxref");
  size_t i = at + 9;
  while (i < pdf.size() && (pdf[i] == '\r' || pdf[i] == '\n' || pdf[i] == ' ')) ++i;
  size_t j = i;
  while (j < pdf.size() && pdf[j] >= '0' && pdf[j] <= '9') ++j;
  size_t value = 0;
  if (!absl::SimpleAtoi(std::string(pdf.substr(i, j - i)), &value)) {
    return absl::InvalidArgumentError("bad startxref");
  }
  return value;
}

// A dictionary's entries as text, without `skip`.
std::string DictBody(QPDFObjectHandle dict, const std::vector<std::string>& skip) {
  std::string out;
  for (auto& [key, value] : dict.getDictAsMap()) {
    bool skipped = false;
    for (const std::string& s : skip) skipped = skipped || s == key;
    if (!skipped) absl::StrAppend(&out, key, " ", value.unparse(), " ");
  }
  return out;
}

std::string ArrayBody(QPDFObjectHandle array) {
  std::string out;
  if (!array.isArray()) return out;
  for (QPDFObjectHandle e : array.getArrayAsVector()) absl::StrAppend(&out, e.unparse(), " ");
  return out;
}

std::string PdfString(std::string_view s) {
  return absl::StrCat("<", absl::BytesToHexString(absl::string_view(s.data(), s.size())), ">");
}

template <typename F>
auto Guard(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("qpdf: ", e.what()));
  }
}

}  // namespace

std::string MakePdf(int pages) {
  std::vector<std::string> objects;
  const int font = 3 + 2 * pages;
  std::string kids;
  for (int p = 0; p < pages; ++p) absl::StrAppend(&kids, 3 + 2 * p, " 0 R ");
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back(absl::StrCat("<< /Type /Pages /Kids [", kids, "] /Count ", pages, " >>"));
  for (int p = 0; p < pages; ++p) {
    objects.push_back(
        absl::StrCat("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ", 4 + 2 * p,
                     " 0 R /Resources << /Font << /F1 ", font, " 0 R >> >> >>"));
    const std::string text =
        absl::StrCat("BT /F1 18 Tf 72 760 Td (Quyet dinh so ", p + 1, "/2026/QD-UBND) Tj ET");
    objects.push_back(
        absl::StrCat("<< /Length ", text.size(), " >>\nstream\n", text, "\nendstream"));
  }
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  std::string out = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(out.size());
    absl::StrAppend(&out, i + 1, " 0 obj\n", objects[i], "\nendobj\n");
  }
  const size_t xref = out.size();
  absl::StrAppend(&out, "xref\n0 ", objects.size() + 1, "\n0000000000 65535 f \n");
  for (size_t o : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    out += line;
  }
  absl::StrAppend(&out, "trailer\n<< /Size ", objects.size() + 1, " /Root 1 0 R >>\nstartxref\n",
                  xref, "\n%%EOF\n");
  return out;
}

absl::StatusOr<std::string> AppendRevision(std::string_view pdf,
                                           const std::map<int, std::string>& objects,
                                           std::string_view trailer_extra) {
  return Guard([&]() -> absl::StatusOr<std::string> {
    auto q = Open(pdf);
    QPDFObjectHandle trailer = q->getTrailer();
    auto prev = LastStartXref(pdf);
    if (!prev.ok()) return prev.status();
    long long size = trailer.getKey("/Size").getIntValue();
    std::string out(pdf);
    if (!out.empty() && out.back() != '\n') out += '\n';
    std::map<int, size_t> offsets;
    for (const auto& [number, body] : objects) {
      if (body.empty()) {  // freed
        offsets[number] = std::string::npos;
        continue;
      }
      offsets[number] = out.size();
      absl::StrAppend(&out, number, " 0 obj\n", body, "\nendobj\n");
      size = std::max<long long>(size, number + 1);
    }
    const size_t xref = out.size();
    out += "xref\n";
    for (const auto& [number, offset] : offsets) {
      char line[48];
      if (offset == std::string::npos) {
        std::snprintf(line, sizeof line, "%d 1\n0000000000 00001 f \n", number);
      } else {
        std::snprintf(line, sizeof line, "%d 1\n%010zu 00000 n \n", number, offset);
      }
      out += line;
    }
    absl::StrAppend(&out, "trailer\n<< /Size ", size, " /Root ", trailer.getKey("/Root").unparse(),
                    " /Prev ", *prev, " ", std::string(trailer_extra), " >>\nstartxref\n", xref,
                    "\n%%EOF\n");
    return out;
  });
}

absl::StatusOr<std::string> WithKey(std::string_view pdf, int number, const std::string& key,
                                    const std::string& value) {
  return Guard([&]() -> absl::StatusOr<std::string> {
    auto q = Open(pdf);
    QPDFObjectHandle h = q->getObjectByObjGen(QPDFObjGen(number, 0));
    if (!h.isDictionary()) return absl::InvalidArgumentError("not a dictionary");
    std::string out = absl::StrCat("<< ", DictBody(h, {key}));
    if (!value.empty()) absl::StrAppend(&out, key, " ", value, " ");
    return out + ">>";
  });
}

absl::StatusOr<int> PageObject(std::string_view pdf, int n) {
  return Guard([&]() -> absl::StatusOr<int> {
    auto q = Open(pdf);
    std::vector<QPDFObjectHandle> pages = q->getAllPages();
    if (n < 1 || n > static_cast<int>(pages.size())) return absl::OutOfRangeError("no such page");
    return pages[n - 1].getObjectID();
  });
}

absl::StatusOr<std::string> WithAnnotation(std::string_view pdf, int n,
                                           const std::string& annotation) {
  std::map<int, std::string> objects;
  auto built = Guard([&]() -> absl::StatusOr<bool> {
    auto q = Open(pdf);
    const int number = static_cast<int>(q->getTrailer().getKey("/Size").getIntValue());
    std::vector<QPDFObjectHandle> pages = q->getAllPages();
    if (n < 1 || n > static_cast<int>(pages.size())) return absl::OutOfRangeError("no such page");
    QPDFObjectHandle page = pages[n - 1];
    objects[number] = annotation;
    objects[page.getObjectID()] =
        absl::StrCat("<< ", DictBody(page, {"/Annots"}), "/Annots [",
                     ArrayBody(page.getKey("/Annots")), number, " 0 R] >>");
    return true;
  });
  if (!built.ok()) return built.status();
  return AppendRevision(pdf, objects);
}

absl::StatusOr<std::string> WithDss(std::string_view pdf,
                                    const std::vector<std::string>& certificates) {
  std::map<int, std::string> objects;
  auto built = Guard([&]() -> absl::StatusOr<bool> {
    auto q = Open(pdf);
    const int size = static_cast<int>(q->getTrailer().getKey("/Size").getIntValue());
    QPDFObjectHandle root = q->getRoot();
    std::string refs;
    for (size_t i = 0; i < certificates.size(); ++i) {
      const int number = size + 1 + static_cast<int>(i);
      objects[number] = absl::StrCat("<< /Length ", certificates[i].size(), " >>\nstream\n",
                                     certificates[i], "\nendstream");
      absl::StrAppend(&refs, number, " 0 R ");
    }
    objects[size] = absl::StrCat("<< /Type /DSS /Certs [", refs, "] >>");
    objects[root.getObjectID()] =
        absl::StrCat("<< ", DictBody(root, {"/DSS"}), "/DSS ", size, " 0 R >>");
    return true;
  });
  if (!built.ok()) return built.status();
  return AppendRevision(pdf, objects);
}

absl::StatusOr<std::string> AddPdfSignature(std::string_view pdf, const PdfSignatureSpec& spec,
                                            const PdfSigner& sign) {
  std::map<int, std::string> objects;
  int sig_number = 0;
  auto built = Guard([&]() -> absl::StatusOr<bool> {
    auto q = Open(pdf);
    const int size = static_cast<int>(q->getTrailer().getKey("/Size").getIntValue());
    sig_number = size;
    const int field_number = size + 1;
    QPDFObjectHandle root = q->getRoot();
    QPDFObjectHandle page = q->getAllPages().at(0);

    std::string sig = absl::StrCat("<< /Type /", spec.document_timestamp ? "DocTimeStamp" : "Sig",
                                   " /Filter /Adobe.PPKLite /SubFilter /", spec.sub_filter);
    if (!spec.document_timestamp) absl::StrAppend(&sig, " /M (D:20261206090000+07'00')");
    std::string references;
    if (spec.docmdp > 0) {
      absl::StrAppend(&references,
                      "<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type "
                      "/TransformParams /P ",
                      spec.docmdp, " /V /1.2 >> >> ");
    }
    if (!spec.fieldmdp_action.empty()) {
      std::string fields;
      for (const std::string& f : spec.fieldmdp_fields) absl::StrAppend(&fields, PdfString(f), " ");
      absl::StrAppend(&references,
                      "<< /Type /SigRef /TransformMethod /FieldMDP /TransformParams << /Type "
                      "/TransformParams /Action /",
                      spec.fieldmdp_action, " /Fields [", fields, "] /V /1.2 >> >> ");
    }
    if (!references.empty()) absl::StrAppend(&sig, " /Reference [", references, "]");
    absl::StrAppend(&sig, " /ByteRange [0 ", std::string(34, ' '), "] /Contents <",
                    std::string(2 * spec.contents_capacity, '0'), "> >>");
    objects[sig_number] = sig;
    std::string widget =
        absl::StrCat("<< /Type /Annot /Subtype /Widget /FT /Sig /T ", PdfString(spec.field_name),
                     " /V ", sig_number, " 0 R /P ", page.getObjectID(), " 0 R /F ");
    if (spec.image_rgb.empty()) {
      absl::StrAppend(&widget, "132 /Rect [0 0 0 0] >>");
    } else {
      const int appearance = size + 2;
      const int image = size + 3;
      const double w = spec.rect[2], hgt = spec.rect[3];
      absl::StrAppend(&widget, "4 /Rect [", spec.rect[0], " ", spec.rect[1], " ", spec.rect[0] + w,
                      " ", spec.rect[1] + hgt, "] /AP << /N ", appearance, " 0 R >> >>");
      const std::string draw = absl::StrCat("q ", w, " 0 0 ", hgt, " 0 0 cm /Im1 Do Q");
      objects[appearance] =
          absl::StrCat("<< /Type /XObject /Subtype /Form /BBox [0 0 ", w, " ", hgt,
                       "] /Resources << /XObject << /Im1 ", image, " 0 R >> >> /Length ",
                       draw.size(), " >>\nstream\n", draw, "\nendstream");
      std::string pixels;
      for (int i = 0; i < 4; ++i) pixels += spec.image_rgb;
      objects[image] = absl::StrCat(
          "<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceRGB "
          "/BitsPerComponent 8 /Length ",
          pixels.size(), " >>\nstream\n", pixels, "\nendstream");
    }
    objects[field_number] = widget;

    QPDFObjectHandle acroform = root.getKey("/AcroForm");
    std::string form = "<< ";
    if (acroform.isDictionary()) form += DictBody(acroform, {"/Fields", "/SigFlags"});
    absl::StrAppend(&form, "/Fields [",
                    acroform.isDictionary() ? ArrayBody(acroform.getKey("/Fields")) : "",
                    field_number, " 0 R] /SigFlags 3 >>");
    std::string catalog = absl::StrCat("<< ", DictBody(root, {"/AcroForm", "/Perms"}));
    if (root.getKey("/Perms").isDictionary() && spec.docmdp == 0) {
      absl::StrAppend(&catalog, "/Perms ", root.getKey("/Perms").unparse(), " ");
    }
    if (spec.docmdp > 0) absl::StrAppend(&catalog, "/Perms << /DocMDP ", sig_number, " 0 R >> ");
    if (acroform.isIndirect()) {
      objects[acroform.getObjectID()] = form;
      absl::StrAppend(&catalog, "/AcroForm ", acroform.unparse(), " >>");
    } else {
      absl::StrAppend(&catalog, "/AcroForm ", form, " >>");
    }
    objects[root.getObjectID()] = catalog;
    objects[page.getObjectID()] =
        absl::StrCat("<< ", DictBody(page, {"/Annots"}), "/Annots [",
                     ArrayBody(page.getKey("/Annots")), field_number, " 0 R] >>");
    return true;
  });
  if (!built.ok()) return built.status();

  auto appended = AppendRevision(pdf, objects);
  if (!appended.ok()) return appended.status();
  std::string out = *std::move(appended);
  const size_t sig_at = out.find(absl::StrCat("\n", sig_number, " 0 obj\n"), pdf.size() - 1);
  const size_t range_at = out.find("/ByteRange [0 ", sig_at) + 14;
  const size_t hole_start = out.find("/Contents <", sig_at) + 10;
  const size_t hole_end = out.find('>', hole_start) + 1;
  const std::string numbers = absl::StrCat(hole_start, " ", hole_end, " ", out.size() - hole_end);
  if (numbers.size() > 34) return absl::InternalError("ByteRange placeholder too small");
  out.replace(range_at, numbers.size(), numbers);
  const std::string signed_bytes = out.substr(0, hole_start) + out.substr(hole_end);
  auto contents = sign(signed_bytes);
  if (!contents.ok()) return contents.status();
  if (contents->size() > spec.contents_capacity) {
    return absl::InternalError("the signature does not fit the /Contents hole");
  }
  const std::string hex = absl::BytesToHexString(*contents);
  out.replace(hole_start + 1, hex.size(), hex);
  return out;
}

}  // namespace sigverify::testing
