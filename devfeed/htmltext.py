"""HTML reduced to readable plain text, with its links listed. Pure: no I/O.

selectolax (the Lexbor engine) parses; we only decide where line breaks go. Scripts,
styles and other non-content elements are dropped; the result goes through the sanitizer.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from devfeed.sanitize import clean_text

_BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "aside", "blockquote", "pre",
        "ul", "ol", "li", "dl", "dt", "dd", "table", "tr",
        "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "hr",
    }
)  # fmt: skip
_PRINTABLE_OR_NEWLINE = bytes([0x0A, *range(0x20, 0x7F)])
_SKIP = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head", "title"}
)


def _walk(node: LexborNode | None, out: list[str], links: list[str]) -> None:
    while node is not None:
        tag = node.tag
        if tag == "-text":
            out.append(node.text_content or "")
        elif tag in _SKIP or tag == "-comment":
            pass
        elif tag == "br":
            out.append("\n")
        else:
            block = tag in _BLOCKS
            item = tag in ("li", "tr", "dt", "dd")
            if block:
                out.append("\n" if item else "\n\n")
            if tag == "li":
                out.append("• ")
            if tag == "a":
                href = (node.attributes.get("href") or "").strip()
                if href.startswith(("http://", "https://")) and href not in links:
                    links.append(href)
            _walk(node.child, out, links)
            if block and not item:
                out.append("\n")
        node = node.next


def html_to_text(html: str) -> tuple[str, list[str]]:
    """Plain text of an HTML fragment and the http(s) links it holds, in order, once each."""
    if "<" not in html and "&" not in html:
        return clean_text(html).strip(), []
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    out: list[str] = []
    links: list[str] = []
    _walk(root.child if root is not None else None, out, links)
    return clean_text(_fold_spaces("".join(out))).strip(), links


def _fold_spaces(text: str) -> str:
    """Every line with its runs of white space folded into one space and no white space
    at its ends (newlines stay)."""
    if (
        "  " not in text
        and " \n" not in text
        and "\n " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
        and (
            not text.encode("ascii").translate(None, _PRINTABLE_OR_NEWLINE)
            if text.isascii()
            else text.replace("\n", "").isprintable()
        )
    ):
        # nothing to fold: a printable string holds no white space but the plain space
        return text
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))
