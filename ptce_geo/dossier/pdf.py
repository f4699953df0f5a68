"""PDF from the dossier's HTML with WeasyPrint.

Why WeasyPrint: it installs from PyPI (``pip install -r requirements.txt``) on top of Pango, which
Debian ships (``libpango-1.0-0``, ``libpangoft2-1.0-0``, present with any desktop or chromium
install), it implements CSS paged media (``@page`` margins, page numbers in the margin boxes,
``break-before``), it runs no JavaScript and fetches nothing we do not give it (all images are
``data:`` URIs). Headless chromium's ``--print-to-pdf`` prints no page numbers of ours and needs
a 300 MB browser at run time; it stays the tool of the browser tests only.
"""

from __future__ import annotations

from ..errors import PtceGeoError

__all__ = ["html_to_pdf", "PDF_HINT"]

PDF_HINT = ("pip install -r requirements.txt (WeasyPrint) et, sous Debian/Ubuntu, "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0")


def html_to_pdf(html: str) -> bytes:
    """A4 PDF of ``html``; only ``data:`` URLs are fetched (the dossier is self-contained, nothing leaves the machine)."""
    try:
        import weasyprint
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise PtceGeoError(f"Le PDF ne peut pas être produit ici ({exc}). Installez : {PDF_HINT}. "
                           "Le dossier HTML, lui, est disponible et s'imprime en PDF depuis le navigateur.") from exc
    return weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
