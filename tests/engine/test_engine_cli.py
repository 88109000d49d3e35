import json

import polars as pl
import pytest
from openpyxl import Workbook, load_workbook

from pingtai.cli import main
from pingtai.engine.synthetic import enterprises


@pytest.fixture(scope="module")
def frame():
    return enterprises(120, seed=21)


def write_xlsx(frame: pl.DataFrame, path, bad_cell=None):
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(frame.columns)
    for row in frame.iter_rows():
        ws.append(list(row))
    if bad_cell:
        ws[bad_cell[0]] = bad_cell[1]
    wb.save(path)


def test_methods_lists_the_shipped_methods(capsys):
    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    for mid in ("zj-mujun-huangyan-2021", "zj-mujun-huangyan-2022", "lishui-mujun-default"):
        assert mid in out


def test_methods_show_and_json(capsys):
    assert main(["methods", "--show", "lishui-mujun-default"]) == 0
    assert "假设" in capsys.readouterr().out
    assert main(["methods", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["id"] for d in data} >= {"lishui-mujun-default"}
    assert main(["methods", "--show", "nope"]) == 2


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_evaluate_reads_each_format(tmp_path, frame, suffix, capsys):
    src = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        frame.write_csv(src)
    elif suffix == ".parquet":
        frame.write_parquet(src)
    else:
        write_xlsx(frame, src)
    out = tmp_path / "out.csv"
    assert main(["evaluate", "--method", "zj-mujun-huangyan-2022", str(src), "-o", str(out)]) == 0
    result = pl.read_csv(out)
    assert result.height == frame.height
    for col in ("tax_per_mu", "score__tax_per_mu", "score", "class", "rank"):
        assert col in result.columns
    assert "已写入" in capsys.readouterr().out


def test_all_formats_give_the_same_scores(tmp_path, frame):
    outs = []
    for suffix in (".csv", ".parquet", ".xlsx"):
        src = tmp_path / f"in{suffix}"
        {".csv": frame.write_csv, ".parquet": frame.write_parquet}.get(
            suffix, lambda p: write_xlsx(frame, p)
        )(src)
        out = tmp_path / f"out{suffix}.csv"
        assert main(["evaluate", "--method", "lishui-mujun-default", str(src), "-o", str(out)]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]


def test_output_is_byte_identical_across_runs_and_has_robustness_columns(tmp_path, frame):
    src = tmp_path / "in.csv"
    frame.write_csv(src)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        assert (
            main(
                [
                    "evaluate",
                    "--method",
                    "lishui-mujun-default",
                    str(src),
                    "-o",
                    str(out),
                    "--robustness",
                    "30",
                    "--seed",
                    "4",
                ]
            )
            == 0
        )
    assert a.read_bytes() == b.read_bytes()
    cols = pl.read_csv(a).columns
    assert {"rank_p05", "rank_median", "rank_p95"} <= set(cols)


def test_output_to_parquet_and_xlsx(tmp_path, frame):
    src = tmp_path / "in.parquet"
    frame.write_parquet(src)
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2021",
                str(src),
                "-o",
                str(tmp_path / "o.parquet"),
            ]
        )
        == 0
    )
    assert pl.read_parquet(tmp_path / "o.parquet").height == frame.height
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2021",
                str(src),
                "-o",
                str(tmp_path / "o.xlsx"),
            ]
        )
        == 0
    )
    ws = load_workbook(tmp_path / "o.xlsx", read_only=True).worksheets[0]
    # A data file that programs read back: the header is row 1, no title above it.
    assert next(ws.iter_rows(min_row=1, values_only=True))[0] == "uscc"


def test_invalid_csv_cell_names_row_and_column(tmp_path, frame, capsys):
    src = tmp_path / "bad.csv"
    frame.with_columns(frame["tax_wan"].cast(pl.String).scatter(4, "十万")).write_csv(src)
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2022",
                str(src),
                "-o",
                str(tmp_path / "o.csv"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "第 6 行，列 tax_wan：无法解析为数值：“十万”" in err
    assert not (tmp_path / "o.csv").exists()


def test_invalid_xlsx_cell_names_row_and_column(tmp_path, frame, capsys):
    src = tmp_path / "bad.xlsx"
    col = frame.columns.index("land_mu")
    write_xlsx(frame, src, bad_cell=(f"{chr(ord('A') + col)}3", -2))
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2022",
                str(src),
                "-o",
                str(tmp_path / "o.csv"),
            ]
        )
        == 1
    )
    assert "第 3 行，列 land_mu：不能为负数" in capsys.readouterr().err


def test_missing_column_and_bad_method_and_format(tmp_path, frame, capsys):
    src = tmp_path / "in.csv"
    frame.drop("employees").write_csv(src)
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2022",
                str(src),
                "-o",
                str(tmp_path / "o.csv"),
            ]
        )
        == 1
    )
    assert "缺少列：employees" in capsys.readouterr().err
    assert main(["evaluate", "--method", "no-such", str(src), "-o", str(tmp_path / "o.csv")]) == 2
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2022",
                str(src),
                "-o",
                str(tmp_path / "o.json"),
            ]
        )
        == 2
    )
    txt = tmp_path / "in.txt"
    txt.write_text("x", encoding="utf-8")
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2022",
                str(txt),
                "-o",
                str(tmp_path / "o.csv"),
            ]
        )
        == 1
    )


def test_gbk_csv_is_read(tmp_path, frame):
    src = tmp_path / "gbk.csv"
    src.write_bytes(frame.write_csv().encode("gb18030"))
    assert main(["evaluate", "--method", "zj-mujun-huangyan-2022", str(src), "--dry-run"]) == 0


def test_regrades_file(tmp_path, frame, capsys):
    src = tmp_path / "in.csv"
    frame.write_csv(src)
    uscc = frame["uscc"][0]
    seg = frame["segment"][0]
    reg = tmp_path / "regrades.csv"
    pl.DataFrame({"uscc": [uscc], "class": ["D"], "reason": ["复核"], "by": ["市办"]}).write_csv(
        reg
    )
    out = tmp_path / "o.csv"
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2022",
                str(src),
                "-o",
                str(out),
                "--regrades",
                str(reg),
            ]
        )
        == 0
    )
    row = pl.read_csv(out).filter(pl.col("uscc") == uscc).row(0, named=True)
    assert row["class"] == "D" and row["regrade_reason"] == "复核" and row["segment"] == seg
    pl.DataFrame({"uscc": [uscc], "class": ["D"], "reason": [""]}).write_csv(reg)
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2022",
                str(src),
                "-o",
                str(out),
                "--regrades",
                str(reg),
            ]
        )
        == 1
    )
    assert "必须填写调档理由" in capsys.readouterr().err


def test_input_hash_does_not_depend_on_the_file_format(tmp_path, frame):
    from pingtai.engine import evaluate, load_method
    from pingtai.engine.tables import read_table

    method = load_method("lishui-mujun-default")
    frame.write_csv(tmp_path / "a.csv")
    frame.write_parquet(tmp_path / "a.parquet")
    write_xlsx(frame, tmp_path / "a.xlsx")
    hashes = {
        evaluate(method, read_table(tmp_path / f"a{s}")).input_hash
        for s in (".csv", ".parquet", ".xlsx")
    }
    assert len(hashes) == 1


def test_xlsx_sheet_selection_and_errors(tmp_path, frame, capsys):
    from pingtai.engine.inputs import InputError
    from pingtai.engine.tables import read_table

    src = tmp_path / "book.xlsx"
    write_xlsx(frame, src)
    assert read_table(src, "企业").height == frame.height
    with pytest.raises(InputError, match="没有工作表“其他”"):
        read_table(src, "其他")
    assert (
        main(
            [
                "evaluate",
                "--method",
                "zj-mujun-huangyan-2022",
                str(src),
                "--sheet",
                "企业",
                "--dry-run",
            ]
        )
        == 0
    )
    assert "检查通过" in capsys.readouterr().out
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="无法读取 Excel 文件"):
        read_table(broken)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_printed_result_hash_is_that_of_the_canonical_csv_for_every_output(
    tmp_path, frame, suffix, capsys, monkeypatch
):
    """The CSV is hashed from the written file, the other formats from the canonical CSV made
    in pieces; pieces of 7 rows (not a divisor of 120) must join to exactly the same text."""
    import hashlib

    from pingtai.engine import evaluate, load_method, tables

    monkeypatch.setattr(tables, "_HASH_PIECE_ROWS", 7)
    src = tmp_path / "in.csv"
    frame.write_csv(src)
    out = tmp_path / f"out{suffix}"
    assert main(["evaluate", "--method", "zj-mujun-huangyan-2022", str(src), "-o", str(out)]) == 0
    canonical = evaluate(load_method("zj-mujun-huangyan-2022"), frame).to_csv_bytes()
    expected = hashlib.sha256(canonical).hexdigest()
    assert f"结果哈希 {expected}" in capsys.readouterr().out
    if suffix == ".csv":
        assert out.read_bytes() == canonical
