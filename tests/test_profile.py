"""Reading, merging, diffing and storing cachegrind profiles, on real cachegrind output
(tests/fixtures/cachegrind, made by its make.sh with valgrind 3.19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanebench.profile.cachegrind import (
    ProfileError,
    merge,
    parse_cachegrind,
    read_cachegrind,
    read_tree,
)
from lanebench.profile.diff import diff_counts, diff_profiles, normalise_file
from lanebench.profile.store import compact_profile, expand_profile

FIXTURES = Path(__file__).parent / "fixtures" / "cachegrind"
BUILD_DIR = "/work/wt/counts/tests/fixtures/cachegrind/build"  # where make.sh compiled work.c


def test_a_real_file_sums_to_its_summary_line() -> None:
    profile = read_cachegrind(FIXTURES / "base" / "cg.out.1")
    assert profile.events == ("Ir",)
    assert profile.commands == ["build/work_base"]
    assert profile.total("Ir") == sum(c[0] for c in profile.functions.values())
    counts = profile.counts("Ir")
    assert counts[(f"{BUILD_DIR}/work.c", "slow_part")] == 140005
    assert counts[(f"{BUILD_DIR}/work.c", "steady_part")] > 0
    assert any("LL cache" in d for d in profile.desc)


def test_an_argument_with_a_newline_continues_the_cmd_line() -> None:
    profile = read_cachegrind(FIXTURES / "newline" / "cg.out.1")
    assert profile.commands == ["build/work_base 20000\nsecond line"]
    assert profile.total() == sum(profile.counts().values())


def test_the_cache_simulation_events_are_read_per_function() -> None:
    profile = read_cachegrind(FIXTURES / "cache" / "cg.out.1")
    assert profile.events == ("Ir", "I1mr", "ILmr", "Dr", "D1mr", "DLmr", "Dw", "D1mw", "DLmw")
    assert profile.total("Ir") == read_cachegrind(FIXTURES / "base" / "cg.out.1").total("Ir")
    assert profile.total("Dr") > 0 and profile.total("D1mr") > 0
    assert "LL cache:         8388608 B, 64 B, 16-way associative" in profile.desc


def test_a_process_tree_is_the_sum_of_its_files() -> None:
    files = sorted((FIXTURES / "tree").glob("cg.out.*"))
    parts = [read_cachegrind(f) for f in files]
    tree = read_tree(FIXTURES / "tree")
    assert tree.processes == 2
    assert tree.total() == sum(p.total() for p in parts)
    assert sorted(tree.commands) == ["/bin/sh -c exit 0", "build/work_base 20000 child"]


def test_files_with_different_events_do_not_merge() -> None:
    with pytest.raises(ProfileError, match="different events"):
        merge([read_cachegrind(FIXTURES / "base" / "cg.out.1"), read_cachegrind(FIXTURES / "cache" / "cg.out.1")])


def test_a_truncated_file_is_an_error_naming_it(tmp_path: Path) -> None:
    text = (FIXTURES / "base" / "cg.out.1").read_text()
    cut = tmp_path / "cg.out.7"
    cut.write_text(text[: text.index("summary:")])
    with pytest.raises(ProfileError, match=r"cg\.out\.7: no `summary:` line; the file is truncated"):
        read_cachegrind(cut)


def test_a_count_that_does_not_add_up_is_an_error() -> None:
    text = (FIXTURES / "base" / "cg.out.1").read_text().replace("\n9 60000\n", "\n9 60001\n", 1)
    with pytest.raises(ProfileError, match="does not match the sum"):
        parse_cachegrind(text, "damaged")


def test_older_writers_dots_and_short_lines_are_zeros() -> None:
    text = "cmd: x\nevents: Ir Dr Dw\nfl=a.c\nfn=f\n1 5 . 2\n2 3\nsummary: 8 0 2\n"
    profile = parse_cachegrind(text)
    assert profile.functions[("a.c", "f")] == [8, 0, 2]


def test_an_empty_directory_says_what_went_wrong(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="did not start under valgrind"):
        read_tree(tmp_path)


def test_the_diff_names_the_slowed_function_first() -> None:
    base, head = read_tree(FIXTURES / "base"), read_tree(FIXTURES / "head")
    diff = diff_profiles(base, head, base_roots=[BUILD_DIR], head_roots=[BUILD_DIR])
    first = diff.rows[0]
    assert (first.file, first.function) == ("work.c", "slow_part")
    assert first.label == "slow_part (work.c)"
    assert (first.base, first.head) == (140005, 168006)
    assert first.share == pytest.approx(first.change / diff.change)
    assert first.share > 0.99
    assert diff.change == head.total() - base.total()


def test_checkouts_at_different_paths_diff_by_relative_file_names() -> None:
    base = {("/home/ci/main/src/parse.c", "parse"): 100, ("/home/ci/main/src/io.c", "read"): 50}
    head = {("/tmp/wt/src/parse.c", "parse"): 130, ("/tmp/wt/src/io.c", "read"): 50}
    normal_base = {(normalise_file(f, ["/home/ci/main"]), fn): c for (f, fn), c in base.items()}
    normal_head = {(normalise_file(f, ["/tmp/wt"]), fn): c for (f, fn), c in head.items()}
    diff = diff_counts(normal_base, normal_head)
    assert [(r.label, r.change) for r in diff.rows] == [("parse (src/parse.c)", 30)]


def test_a_moved_file_is_matched_by_its_function_name() -> None:
    diff = diff_counts({("src/old.c", "parse"): 100, ("src/x.c", "f"): 10},
                       {("src/new.c", "parse"): 120, ("src/x.c", "f"): 10})
    assert len(diff.rows) == 1
    row = diff.rows[0]
    assert (row.file, row.moved_from, row.base, row.head) == ("src/new.c", "src/old.c", 100, 120)


def test_a_stored_profile_fits_its_bound_and_keeps_the_totals() -> None:
    profile = read_tree(FIXTURES / "cache")
    stored = compact_profile(profile, roots=[BUILD_DIR], max_bytes=1500)
    assert len(stored["data"]) <= 1500
    assert 0 < stored["kept"] < stored["functions"]
    back, folded_below = expand_profile(stored)
    assert back.totals == profile.totals
    assert [sum(c[k] for c in back.functions.values()) for k in range(len(back.events))] == profile.totals
    assert ("work.c", "slow_part") in back.functions
    # every function left out counted fewer than `folded_below`, none more than one kept
    assert 0 < folded_below - 1 <= min(c[0] for (f, _), c in back.functions.items() if f)


def test_a_stored_profile_diffs_like_the_full_one() -> None:
    base, head = read_tree(FIXTURES / "base"), read_tree(FIXTURES / "head")
    full = diff_profiles(base, head, base_roots=[BUILD_DIR], head_roots=[BUILD_DIR])
    stored_base, below_b = expand_profile(compact_profile(base, roots=[BUILD_DIR], max_bytes=2000))
    stored_head, below_h = expand_profile(compact_profile(head, roots=[BUILD_DIR], max_bytes=2000))
    stored = diff_counts(stored_base.counts(), stored_head.counts(),
                         base_folded_below=below_b, head_folded_below=below_h)
    assert stored.change == full.change
    assert (stored.rows[0].label, stored.rows[0].change) == (full.rows[0].label, full.rows[0].change)


def test_a_damaged_stored_profile_is_an_error() -> None:
    stored = compact_profile(read_tree(FIXTURES / "base"))
    with pytest.raises(ProfileError, match="damaged"):
        expand_profile({**stored, "data": stored["data"][:40]})


def test_a_file_outside_the_project_is_shown_by_its_last_two_parts() -> None:
    from lanebench.profile.diff import FunctionChange

    outside = FunctionChange("/tmp/build/Python-3.11.7/Python/ceval.c", "_PyEval_EvalFrameDefault", 1, 2, None)
    assert outside.short_label == "_PyEval_EvalFrameDefault (…/Python/ceval.c)"
    inside = FunctionChange("tomli/_parser.py", "parse_basic_str", 1, 2, None)
    assert inside.short_label == inside.label == "parse_basic_str (tomli/_parser.py)"
