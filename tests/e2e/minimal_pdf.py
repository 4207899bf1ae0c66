#!/usr/bin/python3
"""PDFs written by hand for the end-to-end tests and the document benchmark.

As a module: make_pdf(). As a program: minimal_pdf.py OUT [PADDING_BYTES] writes a one-page
PDF, with a stream of PADDING_BYTES zeros in it (an embedded file's bytes).
"""
import sys

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


if __name__ == "__main__":
    padding = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with open(sys.argv[1], "wb") as f:
        f.write(make_pdf(attachment=b"\0" * padding))
