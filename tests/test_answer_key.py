"""demolib.answer_key: exercises paired with executed solutions, answers and hidden checks."""
from __future__ import annotations

import json

import pytest

from demolib import answer_key


def _cell(kind, source, tags=(), outputs=(), timing=None):
    c = {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": source}
    if kind == "code":
        c["outputs"] = list(outputs)
        if timing:
            c["metadata"]["execution"] = {"iopub.execute_input": timing[0], "shell.execute_reply": timing[1]}
    return c


def _chapter(tmp_path, cells, name="03_demo.ipynb"):
    p = tmp_path / name
    p.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return p


def _good(k=2):
    cells = [_cell("markdown", "# A demo chapter\n\nText."),
             _cell("markdown", "## Exercises\n\n1. **Count.** How many?\n   Use `len`.\n2. **Sum.** Add them up.")]
    for i in range(1, k + 1):
        cells += [
            _cell("code", f"# Solution 3.{i}\nx = {i}\nprint(x)", ["hide-cell", "solution"],
                  [{"output_type": "stream", "name": "stdout", "text": [f"{i}\n"]},
                   {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}}],
                  ("2026-12-03T08:00:00.000000Z", "2026-12-03T08:00:02.500000Z")),
            _cell("markdown", f"````{{admonition}} Answer 3.{i}\n:class: dropdown\nIt is {i}.\n````"),
            _cell("code", f"# Hidden checks: Solution 3.{i}\nassert x == {i}", ["remove-cell"]),
        ]
    return cells


def test_solutions_are_read_with_output_figures_and_run_time(tmp_path):
    sols = answer_key.solutions(_chapter(tmp_path, _good()))
    assert [s.number for s in sols] == ["3.1", "3.2"]
    s = sols[0]
    assert s.title == "A demo chapter" and s.chapter == "03_demo"
    assert s.exercise == "**Count.** How many?\nUse `len`."
    assert s.code == "x = 1\nprint(x)" and s.output == "1" and s.figures == 1
    assert s.answer == "It is 1." and s.seconds == pytest.approx(2.5)
    page = answer_key.render(sols)
    assert page.startswith("# Answer key") and "| {ref}`3.1 <exercise-3-1>` | Count | 2.5 s |" in page
    assert "(exercise-3-2)=\n### Exercise 3.2" in page and "It is 2." in page and "{doc}`03_demo`" in page


@pytest.mark.parametrize("break_it, message", [
    (lambda c: c.__delitem__(slice(5, 8)), r"exercises \['3.1', '3.2'\] but solutions \['3.1'\]"),
    (lambda c: c[5].update(source="# Solution 4.2\nx = 2"), "not numbered for chapter 3"),
    (lambda c: c[6].update(source="````{admonition} Answer 3.1\nIt is 2.\n````"), "followed by Answer 3.1"),
    (lambda c: c.__delitem__(7), r"no '# Hidden checks: Solution N' cell for 3.2"),
    (lambda c: c[5]["metadata"].update(tags=["solution"]), "needs the tags 'hide-cell' and 'solution'"),
    (lambda c: c[5].update(source="x = 2"), r"tagged 'solution' must start with '# Solution 3.k'"),
    (lambda c: c[6].update(source="Just text."), "one admonition"),
    (lambda c: c[2]["outputs"].append({"output_type": "error", "ename": "KeyError", "evalue": "'x'"}), "failed"),
])
def test_chapters_whose_solutions_do_not_pair_up_are_errors(tmp_path, break_it, message):
    cells = _good()
    break_it(cells)
    with pytest.raises(ValueError, match=message):
        answer_key.solutions(_chapter(tmp_path, cells))


def test_chapter_without_exercises_and_bad_names(tmp_path):
    assert answer_key.solutions(_chapter(tmp_path, [_cell("markdown", "# Intro")])) == []
    with pytest.raises(ValueError, match="start with their number"):
        answer_key.solutions(_chapter(tmp_path, _good(), name="demo.ipynb"))


def test_exercise_list_parsing():
    assert answer_key.exercises("## Exercises\n\nIntro line.\n\n1. One\n   more.\n2. Two") == {1: "One\nmore.", 2: "Two"}
    with pytest.raises(ValueError, match="listed twice"):
        answer_key.exercises("## Exercises\n1. a\n1. b")


def test_main_rejects_unknown_options(capsys):
    assert answer_key.main(["--force"]) == 2
    assert "unknown option '--force'" in capsys.readouterr().err


def test_committed_answer_key_is_current():
    """book/answer_key.md is what the executed chapters give (every chapter's exercises pair up)."""
    assert answer_key.main(["--check"]) == 0, "run: python -m demolib.answer_key"
