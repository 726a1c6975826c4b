"""Tables as plain aligned lines that fit the console's width.

Rich's tables cut any cell to fit (``99.3…``, ``true cla…``) and, piped,
wrap cells onto several lines. These tables decide instead: numbers are
never cut; text columns marked ``shrink`` are shortened with an ellipsis,
and columns marked ``drop`` are left out, before anything else happens. A
table too wide even then is printed whole (a pipe or a log keeps it).
"""
from __future__ import annotations

from dataclasses import dataclass

GAP = 2  # spaces between columns


@dataclass
class Column:
    header: str
    right: bool = False   # right-aligned (numbers)
    shrink: int = 0       # > 0: text that may be shortened with an ellipsis, down to this width
    drop: int = 0         # > 0: may be left out when the table does not fit; the highest goes first


def ellipsize(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def fit(columns: list[Column], rows: list[list[str]], width: int, gap: int = GAP) -> list[str]:
    """The table's lines (header first), shortened and thinned to ``width`` where possible."""
    natural = [max([len(c.header)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]

    def layout(keep):
        """Widths of the kept columns, text shortened (widest first) until the line fits."""
        widths = {i: natural[i] for i in keep}
        for i in sorted((i for i in keep if columns[i].shrink), key=lambda i: -natural[i]):
            excess = sum(widths.values()) + gap * (len(keep) - 1) - width
            if excess <= 0:
                break
            widths[i] = max(columns[i].shrink, widths[i] - excess)
        return widths, sum(widths.values()) + gap * (len(keep) - 1) <= width

    keep = list(range(len(columns)))
    widths, fits = layout(keep)
    for i in sorted((i for i in keep if columns[i].drop), key=lambda i: -columns[i].drop):
        if fits:
            break
        keep.remove(i)
        widths, fits = layout(keep)

    def line(cells):
        parts = []
        for i in keep:
            text = ellipsize(cells[i], widths[i])
            parts.append(text.rjust(widths[i]) if columns[i].right else text.ljust(widths[i]))
        return (" " * gap).join(parts).rstrip()

    return [line([c.header for c in columns])] + [line(r) for r in rows]


def print_table(console, title: str, columns: list[Column], rows: list[list[str]]):
    """A title line, then the fitted table, to a rich console without markup or wrapping."""
    if title:
        console.print(title, markup=False, highlight=False, soft_wrap=True)
    for text in fit(columns, rows, console.width):
        console.print(text, markup=False, highlight=False, soft_wrap=True)
