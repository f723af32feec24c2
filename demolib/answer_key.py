"""The book's answer key, generated from the executed chapters (the teacher's guide).

Every chapter ends with ``## Exercises``, a numbered list, followed for each
exercise ``k`` of chapter ``C`` by three cells: a code cell tagged
``solution`` whose first line is ``# Solution C.k``, a markdown cell with the
dropdown admonition ``Answer C.k``, and a hidden check (``# Hidden checks:
Solution C.k``) that asserts the numbers the answer quotes.  This module
reads those cells from the committed notebooks, with their stored outputs and
the run time that Jupyter recorded when the chapter was executed, and writes
``book/answer_key.md``:

    python -m demolib.answer_key            # write book/answer_key.md
    python -m demolib.answer_key --check    # exit 1 if it is out of date

A chapter whose exercises and solutions do not pair up is an error, so a
missing or misnumbered solution cannot slip through.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

__all__ = ["Solution", "BOOK_DIR", "OUT", "exercises", "solutions", "collect", "render", "main"]

BOOK_DIR = Path(__file__).resolve().parent.parent / "book"
OUT = BOOK_DIR / "answer_key.md"

_SOLUTION = re.compile(r"^# Solution (\d+)\.(\d+)\s*$")
_ANSWER = re.compile(r"^(`{3,})\{admonition\} Answer (\d+)\.(\d+)\s*$")
_ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
_CHECK = re.compile(r"^# Hidden checks: Solution (\d+\.\d+)\b")


@dataclass(frozen=True)
class Solution:
    """One exercise with its executed solution.

    Attributes
    ----------
    chapter : str
        Notebook stem, e.g. ``"09_motifs"``.
    title : str
        The chapter's title (its first ``#`` heading).
    number : str
        ``"9.2"``: chapter number and exercise number.
    exercise : str
        The exercise as the chapter states it (Markdown).
    code : str
        The solution cell's source, without its ``# Solution`` line.
    output : str
        Its stored text output (stdout, and the plain-text result).
    figures : int
        Number of figures it drew.
    answer : str
        The worked answer (Markdown, the admonition's body).
    seconds : float or None
        Run time of the solution cell when the chapter was executed (None if
        the notebook holds no timing).
    """

    chapter: str
    title: str
    number: str
    exercise: str
    code: str
    output: str
    figures: int
    answer: str
    seconds: float | None


def _source(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _chapter_number(stem: str) -> int:
    m = re.match(r"^(\d+)_", stem)
    if not m:
        raise ValueError(f"{stem}: chapter file names start with their number, e.g. 09_motifs.ipynb")
    return int(m.group(1))


def exercises(markdown: str) -> dict[int, str]:
    """The numbered items of an ``## Exercises`` cell.

    Parameters
    ----------
    markdown : str
        The cell's source.

    Returns
    -------
    dict int -> str
        Exercise number -> its text (continuation lines dedented).
    """
    items: dict[int, list[str]] = {}
    current = None
    for line in markdown.splitlines()[1:]:  # skip the heading
        m = _ITEM.match(line)
        if m:
            current = int(m.group(1))
            if current in items:
                raise ValueError(f"exercise {current} is listed twice")
            items[current] = [m.group(2)]
        elif current is not None:
            items[current].append(line.strip())
    return {k: "\n".join(v).strip() for k, v in items.items()}


def _output_text(cell: dict) -> tuple[str, int]:
    text, figures = [], 0
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            text.append(_source({"source": o.get("text", "")}))
        elif o.get("output_type") in ("execute_result", "display_data"):
            d = o.get("data", {})
            if "image/png" in d or "image/svg+xml" in d:
                figures += 1
            elif "text/plain" in d and o.get("output_type") == "execute_result":
                text.append(_source({"source": d["text/plain"]}) + "\n")
        elif o.get("output_type") == "error":
            raise ValueError(f"the solution cell failed when executed: {o.get('ename')}: {o.get('evalue')}")
    return "".join(text).rstrip(), figures


def _seconds(cell: dict) -> float | None:
    ex = cell.get("metadata", {}).get("execution", {})
    start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    if not start or not end:
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def _answer_body(markdown: str) -> tuple[str, str]:
    lines = markdown.strip().splitlines()
    m = _ANSWER.match(lines[0]) if lines else None
    if not m or lines[-1].strip() != m.group(1):
        raise ValueError("an answer cell is one admonition: ````{admonition} Answer C.k ... ````")
    body = [ln for ln in lines[1:-1] if not ln.startswith(":class:")]
    return f"{m.group(2)}.{m.group(3)}", "\n".join(body).strip()


def solutions(path: str | Path) -> list[Solution]:
    """The exercises of one chapter with their executed solutions and answers.

    Parameters
    ----------
    path : path of an executed chapter notebook

    Returns
    -------
    list of Solution
        In exercise order; empty for a chapter without exercises.

    Raises
    ------
    ValueError
        If exercises, solution cells, answers and hidden checks do not pair
        up one to one (missing, duplicated, misnumbered or out of order).
    """
    path = Path(path)
    cells = json.loads(path.read_text())["cells"]
    chapter = _chapter_number(path.stem)
    title = next((_source(c).splitlines()[0].lstrip("# ").strip() for c in cells
                  if c["cell_type"] == "markdown" and _source(c).startswith("# ")), path.stem)
    ex_cells = [c for c in cells if c["cell_type"] == "markdown" and _source(c).startswith("## Exercises")]
    if not ex_cells:
        return []
    if len(ex_cells) > 1:
        raise ValueError(f"{path.name}: more than one '## Exercises' cell")
    items = exercises(_source(ex_cells[0]))
    where = f"{path.name}"
    out, checks = [], set()
    for i, c in enumerate(cells):
        src = _source(c)
        first = src.splitlines()[0] if src else ""
        check = _CHECK.match(first) if c["cell_type"] == "code" else None
        if check:
            checks.add(check.group(1))
        m = _SOLUTION.match(first) if c["cell_type"] == "code" else None
        if not m:
            if c["cell_type"] == "code" and "solution" in c.get("metadata", {}).get("tags", []):
                raise ValueError(f"{where}: a cell tagged 'solution' must start with '# Solution {chapter}.k'")
            continue
        number = f"{m.group(1)}.{m.group(2)}"
        if int(m.group(1)) != chapter:
            raise ValueError(f"{where}: '# Solution {number}' is not numbered for chapter {chapter}")
        if "solution" not in c.get("metadata", {}).get("tags", []) or "hide-cell" not in c["metadata"]["tags"]:
            raise ValueError(f"{where}: Solution {number} needs the tags 'hide-cell' and 'solution'")
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        if nxt is None or nxt["cell_type"] != "markdown":
            raise ValueError(f"{where}: Solution {number} is not followed by its 'Answer {number}' cell")
        answer_no, answer = _answer_body(_source(nxt))
        if answer_no != number:
            raise ValueError(f"{where}: Solution {number} is followed by Answer {answer_no}")
        k = int(m.group(2))
        if k not in items:
            raise ValueError(f"{where}: Solution {number} has no exercise {k} in the list")
        text, figures = _output_text(c)
        out.append(Solution(path.stem, title, number, items[k], src.split("\n", 1)[1].strip() if "\n" in src else "",
                            text, figures, answer, _seconds(c)))
    numbers = [s.number for s in out]
    expected = [f"{chapter}.{k}" for k in sorted(items)]
    if numbers != expected:
        raise ValueError(f"{where}: exercises {expected} but solutions {numbers} (one each, in order)")
    missing = [n for n in numbers if n not in checks]
    if missing:
        raise ValueError(f"{where}: no '# Hidden checks: Solution N' cell for {', '.join(missing)}")
    return out


def collect(book_dir: str | Path = BOOK_DIR) -> list[Solution]:
    """Every chapter's solutions, in chapter order."""
    return [s for p in sorted(Path(book_dir).glob("[0-9]*.ipynb")) for s in solutions(p)]


def _first_sentence(text: str) -> str:
    bold = re.match(r"\*\*(.+?)\*\*", text)
    if bold:
        return bold.group(1).rstrip(".")
    first = re.split(r"(?<=[.?!])\s", text.replace("\n", " "), maxsplit=1)[0]
    return first if len(first) <= 90 else first[:87] + "..."


def _fmt_seconds(s: float | None) -> str:
    return "–" if s is None else ("< 0.1 s" if s < 0.1 else f"{s:.1f} s")


def render(sols: Sequence[Solution]) -> str:
    """The answer-key page (MyST Markdown) for :func:`collect`'s solutions."""
    lines = [
        "# Answer key",
        "",
        "Generated by `python -m demolib.answer_key` from the executed chapters: every solution below is the",
        "code that ran when the book was built, its printed output and the worked answer, whose numbers a",
        "hidden cell of the chapter asserts (so they cannot drift from the code). *Run time* is the time the",
        "solution cell took when the chapter was executed (`make execute`: one torch thread, on the 2-core",
        "machine that built this book); it is the computer's share of an exercise, not the time a student",
        "needs to think it through. See the {doc}`teachers_guide` for how to use the exercises in class.",
        "",
        "| exercise | topic | run time |",
        "|---|---|---|",
    ]
    lines += [f"| {{ref}}`{s.number} <exercise-{s.number.replace('.', '-')}>` | {_first_sentence(s.exercise)} | "
              f"{_fmt_seconds(s.seconds)} |" for s in sols]
    chapter = None
    for s in sols:
        if s.chapter != chapter:
            chapter = s.chapter
            lines += ["", f"## {s.title}", "", f"Chapter {{doc}}`{s.chapter}`."]
        lines += ["", f"({'exercise-' + s.number.replace('.', '-')})=", f"### Exercise {s.number}", "", s.exercise, "",
                  f"**Solution** (run time {_fmt_seconds(s.seconds)}):", "", "```python", s.code, "```"]
        if s.output:
            lines += ["", "Output:", "", "```text", s.output, "```"]
        if s.figures:
            lines += ["", f"*It draws {s.figures} figure{'s' if s.figures > 1 else ''}: see the chapter.*"]
        lines += ["", "**Answer.**", "", s.answer]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    unknown = [a for a in args if a != "--check"]
    if unknown:
        print(f"python -m demolib.answer_key: unknown option {unknown[0]!r}; use no option (write "
              f"{OUT.relative_to(BOOK_DIR.parent)}) or --check", file=sys.stderr)
        return 2
    try:
        sols = collect()
        text = render(sols)
    except ValueError as e:
        print(f"python -m demolib.answer_key: {e}", file=sys.stderr)
        return 2
    if "--check" in args:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(BOOK_DIR.parent)} is out of date: run python -m demolib.answer_key", file=sys.stderr)
            return 1
        return 0
    from .utils import atomic_write

    atomic_write(OUT, text)
    print(f"wrote {OUT.relative_to(BOOK_DIR.parent)} ({len(sols)} exercises)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
