"""Markdown tables and a small Markdown-to-HTML converter for the reports this project writes.

The converter knows exactly the subset the reports use (headings, paragraphs, bullet lists,
pipe tables, images, links, ``code``, **bold** and *italic*), so no Markdown package is needed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)"), r'<img alt="\1" src="\2" style="max-width:100%">'),
    (re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)"), r'<a href="\2">\1</a>'),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])"), r"<em>\1</em>"),
]
_STYLE = ("body{font-family:sans-serif;max-width:72em;margin:2em auto;line-height:1.45}"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;"
          "text-align:left}th{background:#eee}code{background:#f4f4f4}")


def md_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A Markdown pipe table's lines, then an empty line; cells go through ``str()``, ``|`` escaped."""
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def markdown_table(table: Any) -> str:
    """A DataFrame (no index) as Markdown table text (no trailing empty line), floats to 4 significant digits."""
    def fmt(v: object) -> str:
        return f"{v:.4g}" if isinstance(v, Real) and not isinstance(v, Integral) else str(v)

    rows = [[fmt(v) for v in row] for row in table.itertuples(index=False)]
    return "\n".join(md_table([str(c) for c in table.columns], rows)[:-1])


def _inline(text: str) -> str:
    parts = re.split(r"(`[^`]+`)", text)  # code spans are escaped, never formatted
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        part = html.escape(part, quote=False).replace("\\|", "|")
        for pattern, repl in _INLINE:
            part = pattern.sub(repl, part)
        out.append(part)
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def markdown_to_html(text: str, *, title: str = "report") -> str:
    """The Markdown subset of this project's reports as a standalone HTML page (images keep relative paths)."""
    body, para, items = [], [], []
    lines = text.splitlines()

    def flush() -> None:
        if para:
            body.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"(#{1,6})\s+(.*)", line)
        if heading:
            flush()
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"\|(\s*:?-+:?\s*\|)+\s*$", lines[i + 1]):
            flush()
            head = "".join(f"<th>{_inline(c)}</th>" for c in _cells(line))
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in _cells(lines[i])) + "</tr>")
                i += 1
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
            continue
        elif line.startswith("- "):
            if para:
                flush()
            items.append(line[2:])
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
        elif not line.strip():
            flush()
        else:
            if items:
                flush()
            para.append(line.strip())
        i += 1
    flush()
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")
