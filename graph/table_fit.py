"""Tables that fit the terminal: low-value columns shorten or go first, ids are never cut or wrapped.

A table is described once, as columns with variants (richest first) and the order in which they give way.
At print time it takes the first layout that fits the console's width; when even the required columns do
not fit, each row becomes a few plain lines, its first cell (the id) on a line of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, JustifyMethod, RenderableType, RenderResult

Cell = str | Text
# What each column costs besides its text: one space of padding on each side and one border line; the
# table's left edge is the one more.
_PER_COLUMN = 3


@dataclass(frozen=True)
class Variant:
    """One way to show a column: its header, its cells, and whether its text may wrap.

    `wrap_min` None keeps every cell whole on one line (ids, numbers, names); a number lets free text
    (a topic, an error) wrap down to that many characters a line.
    """

    header: str
    cells: Sequence[Cell]
    wrap_min: int | None = None
    justify: JustifyMethod = "left"


@dataclass(frozen=True)
class FitColumn:
    """A column: its variants, richest first. Stepping past the last drops it, unless it is required."""

    key: str
    variants: tuple[Variant, ...]
    required: bool = False


def cell_width(cell: Cell) -> int:
    """The terminal width of a cell's widest line."""
    plain = cell.plain if isinstance(cell, Text) else cell
    return max((cell_len(line) for line in plain.split("\n")), default=0)


def _natural(variant: Variant) -> int:
    return max([cell_width(variant.header), *(cell_width(cell) for cell in variant.cells)])


def _need(variant: Variant) -> int:
    """The narrowest this variant may be: its natural width, or less down to `wrap_min` when it wraps."""
    natural = _natural(variant)
    return natural if variant.wrap_min is None else min(natural, variant.wrap_min)


def choose_layout(
    columns: Sequence[FitColumn], steps: Sequence[tuple[str, ...]], width: int
) -> list[tuple[Variant, int]] | None:
    """The shown columns with their widths for a console `width` columns wide, or None when none fits.

    Each step moves the named columns to their next variant (or drops them; a required column keeps its
    last); steps are taken in order until the table fits. Names of columns not in `columns` are skipped.
    """
    chosen = {column.key: 0 for column in columns}
    by_key = {column.key: column for column in columns}
    for step in (None, *steps):
        for key in step or ():
            column = by_key.get(key)
            if column is None:  # a column this table leaves out
                continue
            if chosen[key] + 1 < len(column.variants) or not column.required:
                chosen[key] = min(chosen[key] + 1, len(column.variants))
        shown = [
            column.variants[chosen[column.key]]
            for column in columns
            if chosen[column.key] < len(column.variants)
        ]
        room = width - 1 - _PER_COLUMN * len(shown)
        if sum(_need(variant) for variant in shown) <= room:
            return _widths(shown, room)
    return None


def _widths(shown: list[Variant], room: int) -> list[tuple[Variant, int]]:
    """Whole columns at their natural width; what is left goes to the wrapping ones, a column at a time."""
    widths = [_need(variant) for variant in shown]
    spare = room - sum(widths)
    growing = [i for i, variant in enumerate(shown) if variant.wrap_min is not None]
    while spare > 0 and growing:
        for i in list(growing):
            if spare == 0:
                break
            if widths[i] >= _natural(shown[i]):
                growing.remove(i)
                continue
            widths[i] += 1
            spare -= 1
    return list(zip(shown, widths, strict=True))


class FittedTable:
    """A rich renderable that lays its table out for the width it is printed at."""

    def __init__(
        self, columns: Sequence[FitColumn], steps: Sequence[tuple[str, ...]], *, title: str | None = None
    ) -> None:
        """Remember the columns (each with the same number of cells) and the order they give way in."""
        self.columns, self.steps, self.title = list(columns), list(steps), title

    def render(self, width: int) -> RenderableType:
        """The table for a console `width` columns wide, or plain lines when no layout fits."""
        from rich.table import Table

        layout = choose_layout(self.columns, self.steps, width)
        if layout is None:
            return self._lines()
        table = Table(title=self.title)
        for variant, column_width in layout:
            table.add_column(
                variant.header,
                width=column_width,
                no_wrap=variant.wrap_min is None,
                overflow="fold",
                justify=variant.justify,
            )
        for row in zip(*(variant.cells for variant, _ in layout), strict=True):
            table.add_row(*row)
        return table

    def _lines(self) -> RenderableType:
        """Each row as its first cell on a line of its own, then its required cells and free text below."""
        from rich.console import Group
        from rich.padding import Padding

        first, *rest = self.columns
        below = [
            column.variants[-1]
            for column in rest
            if column.required or any(variant.wrap_min is not None for variant in column.variants)
        ]
        parts: list[RenderableType] = [Text(self.title, style="italic")] if self.title else []
        for index, cell in enumerate(first.variants[0].cells):
            # Alone on its line, an id is whole at any width it fits in (run ids: 80 columns); in a
            # narrower terminal it folds, as the terminal itself would wrap it.
            parts.append(_text(cell))
            cells = [_text(variant.cells[index]) for variant in below]
            details = Text(" · ").join(cell for cell in cells if cell.plain)
            if details.plain:
                parts.append(Padding(details, (0, 0, 0, 2), expand=False))
        return Group(*parts)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Render the layout that fits `options.max_width`."""
        yield self.render(options.max_width)


def _text(cell: Cell) -> Text:
    return Text(cell) if isinstance(cell, str) else cell
