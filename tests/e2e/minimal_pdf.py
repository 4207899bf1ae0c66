#!/usr/bin/python3
"""PDFs written by hand for the end-to-end tests and the document benchmark.

As a module: make_pdf(), append_revision(), with_dss(). As a program:
  minimal_pdf.py OUT [PADDING_BYTES]   a one-page PDF, with a stream of PADDING_BYTES zeros in
                                       it (an embedded file's bytes)
  minimal_pdf.py --dss IN OUT FILE...  IN with a DSS whose /OCSPs are the FILEs (DER)
  minimal_pdf.py --sign IN OUT FIELD CERT KEY [EXTRA_CERTS]
                                       IN (a make_pdf file) signed in a new field by
                                       `openssl cms -sign` (adbe.pkcs7.detached)
"""
import os
import re
import subprocess
import sys
import tempfile

WORDS = ["quyet", "dinh", "so", "ubnd", "ve", "viec", "cap", "phep", "xay", "dung", "nha", "o"]


def make_pdf(pages=1, text=b"Quyet dinh so 1/2026/QD-UBND", bytes_per_page=0, attachment=b""):
    """Catalog, page tree, `pages` pages with a line of `text` (and, with
    `bytes_per_page`, more lines of words up to that size), a font; with
    `attachment`, a stream object holding it. A classic cross-reference table."""
    font = 3 + 2 * pages
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
                   b" ".join(b"%d 0 R" % (3 + 2 * p) for p in range(pages)), pages)]
    for p in range(pages):
        lines = [b"BT /F1 18 Tf 72 760 Td (" + text + b") Tj ET\n"]
        size = len(lines[0])
        while size < bytes_per_page:
            words = " ".join(WORDS[(p + len(lines) + i) % len(WORDS)] for i in range(12))
            lines.append(f"BT /F1 9 Tf 40 {740 - (len(lines) % 70) * 10} Td ({words}) Tj ET\n"
                         .encode())
            size += len(lines[-1])
        content = b"".join(lines)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * p, font))
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    if attachment:
        objects.append(b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(attachment) +
                       attachment + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def append_revision(pdf, objects):
    """An incremental update defining `objects` ({number: body}), classic xref section."""
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    size = max(int(n) for n in re.findall(rb"/Size (\d+)", pdf))
    root = re.findall(rb"/Root (\d+ \d+ R)", pdf)[-1]
    out = bytearray(pdf)
    offsets = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        size = max(size, number + 1)
    xref = len(out)
    out += b"xref\n" + b"".join(b"%d 1\n%010d 00000 n \n" % (n, o) for n, o in offsets.items())
    out += b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, root, prev, xref)
    return bytes(out)


def with_dss(pdf, ocsp_responses):
    """`pdf` with an update adding a DSS (ETSI EN 319 142-1) holding `ocsp_responses`: a new
    DSS dictionary and streams, and the catalog (its newest definition) naming it."""
    size = max(int(n) for n in re.findall(rb"/Size (\d+)", pdf))
    root = int(re.findall(rb"/Root (\d+) \d+ R", pdf)[-1])
    at = [m.end() for m in re.finditer(rb"(?<![0-9])%d 0 obj" % root, pdf)][-1]
    catalog = pdf[at:pdf.index(b"endobj", at)].strip()
    assert catalog.startswith(b"<<") and catalog.endswith(b">>"), catalog
    objects = {size: b"<< /OCSPs [%s] >>" % b" ".join(
        b"%d 0 R" % (size + 1 + i) for i in range(len(ocsp_responses)))}
    for i, der in enumerate(ocsp_responses):
        objects[size + 1 + i] = b"<< /Length %d >>\nstream\n" % len(der) + der + b"\nendstream"
    objects[root] = catalog[:-2] + b" /DSS %d 0 R >>" % size
    return append_revision(pdf, objects)


def newest_object(pdf, number):
    """The text of object `number`'s newest definition (a dictionary)."""
    at = [m.end() for m in re.finditer(rb"(?<![0-9])%d 0 obj" % number, pdf)][-1]
    body = pdf[at:pdf.index(b"endobj", at)].strip()
    assert body.startswith(b"<<") and body.endswith(b">>"), body
    return body


def add_signature(pdf, field, cert, key, extra_certs=None, capacity=8192):
    """`pdf` (from make_pdf: no form yet, page 1 is object 3) signed in a new signature
    field by `openssl cms -sign` over the ByteRange: ISO 32000-1 12.8 written by hand."""
    size = max(int(n) for n in re.findall(rb"/Size (\d+)", pdf))
    root = int(re.findall(rb"/Root (\d+) \d+ R", pdf)[-1])
    sig, widget = size, size + 1
    placeholder = b" " * 40
    objects = {
        sig: b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
             b"/ByteRange [0" + placeholder + b"] /Contents <" + b"0" * (2 * capacity) + b"> >>",
        widget: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /V %d 0 R /Rect [0 0 0 0] "
                b"/F 132 /P 3 0 R >>" % (field.encode(), sig),
        root: newest_object(pdf, root)[:-2] + b" /AcroForm << /Fields [%d 0 R] /SigFlags 3 >> >>"
              % widget,
        3: newest_object(pdf, 3)[:-2] + b" /Annots [%d 0 R] >>" % widget,
    }
    out = bytearray(append_revision(pdf, objects))
    start = out.index(b"%d 0 obj" % sig, len(pdf))
    hole_start = out.index(b"/Contents <", start) + 10
    hole_end = out.index(b">", hole_start) + 1
    numbers = b" %d %d %d" % (hole_start, hole_end, len(out) - hole_end)
    at = out.index(b"/ByteRange [0", start) + 13
    out[at:at + len(numbers)] = numbers
    with tempfile.TemporaryDirectory() as work:
        tbs, cms = os.path.join(work, "tbs"), os.path.join(work, "cms")
        with open(tbs, "wb") as f:
            f.write(bytes(out[:hole_start]) + bytes(out[hole_end:]))
        command = ["openssl", "cms", "-sign", "-binary", "-in", tbs, "-signer", cert, "-inkey",
                   key, "-outform", "DER", "-out", cms]
        if extra_certs:
            command += ["-certfile", extra_certs]
        subprocess.run(command, check=True)
        with open(cms, "rb") as f:
            value = f.read().hex().encode()
    assert len(value) <= 2 * capacity
    out[hole_start + 1:hole_start + 1 + len(value)] = value
    return bytes(out)


if __name__ == "__main__":
    if sys.argv[1] == "--sign":
        with open(sys.argv[2], "rb") as f:
            source = f.read()
        signed = add_signature(source, *sys.argv[4:])
        with open(sys.argv[3], "wb") as f:
            f.write(signed)
    elif sys.argv[1] == "--dss":
        with open(sys.argv[2], "rb") as f:
            source = f.read()
        responses = []
        for name in sys.argv[4:]:
            with open(name, "rb") as f:
                responses.append(f.read())
        with open(sys.argv[3], "wb") as f:
            f.write(with_dss(source, responses))
    else:
        padding = int(sys.argv[2]) if len(sys.argv) > 2 else 0
        with open(sys.argv[1], "wb") as f:
            f.write(make_pdf(attachment=b"\0" * padding))
