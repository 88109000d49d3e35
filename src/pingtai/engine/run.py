"""One evaluation run: check input → indicators → scores → classes → ranks (→ robustness).

The pipeline follows the method file stage by stage (docs/engine.md, "Pipeline and formulas"); intermediate values are
kept on the result (``SegmentRun``) so that explanations and robustness need no recomputation.
Every step is vectorised over entities.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from pingtai.core.progress import Progress
from pingtai.engine import (
    aggregate,
    carbon,
    classify,
    industry,
    normalise,
    rank,
    units,
    weights,
)
from pingtai.engine.groups import GroupIndex, Groups
from pingtai.engine.indicators import IndicatorValues, compute, deducted
from pingtai.engine.inputs import InputError, Prepared, prepare, truthy
from pingtai.engine.methods import Method, Segment, fits_population, scoring_by
from pingtai.engine.result import (
    EvaluationResult,
    MissingNote,
    Regrade,
    SegmentRun,
    int_column,
    num_column,
    text_column,
)


def _adjustments(
    method: Method, seg: str, frame: pl.DataFrame, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bonus/deduction items as a ratio and as points (docs/methods.md §2.6), capped item by item
    and then in total. The ratio applies to the indicator total; points are added after."""
    lim = method.adjustment_limits
    ratio_pos = np.zeros(len(rows))
    ratio_neg = np.zeros(len(rows))
    pts_pos = np.zeros(len(rows))
    pts_neg = np.zeros(len(rows))
    for adj in method.adjustments:
        if (adj.segments and seg not in adj.segments) or adj.column not in frame.columns:
            continue
        v = frame[adj.column].to_numpy()[rows] * adj.per_unit
        if adj.cap is not None:
            v = np.clip(v, -adj.cap, adj.cap)
        if adj.kind == "ratio":
            ratio_pos += np.maximum(v, 0)
            ratio_neg += np.minimum(v, 0)
        else:
            pts_pos += np.maximum(v, 0)
            pts_neg += np.minimum(v, 0)

    def capped(
        pos: np.ndarray, neg: np.ndarray, up: float | None, down: float | None
    ) -> np.ndarray:
        return (np.minimum(pos, up) if up is not None else pos) + (
            np.maximum(neg, -down) if down is not None else neg
        )

    return (
        capped(ratio_pos, ratio_neg, lim.max_bonus_ratio, lim.max_deduction_ratio),
        capped(pts_pos, pts_neg, lim.max_bonus_points, lim.max_deduction_points),
    )


def _segment_weights(spec: Segment, n: np.ndarray) -> tuple[np.ndarray, float]:
    """Effective weights (sum 1) and the weight total."""
    w = spec.weighting
    k = len(spec.indicators)
    if w.kind == "fixed":
        raw = np.array([it.weight for it in spec.indicators], dtype=float)
        if spec.pillars:
            of = spec.pillar_positions()
            pw = np.array([p.weight for p in spec.pillars], dtype=float)
            inner = raw / np.bincount(of, weights=raw)[of]
            return inner * pw[of] / pw.sum(), float(pw.sum())
        return raw / raw.sum(), float(raw.sum())
    if w.kind == "equal":
        return weights.equal(k), w.total
    if w.kind == "ahp":
        return weights.ahp(np.array(w.matrix))[0], w.total
    fn = {"entropy": weights.entropy, "critic": weights.critic, "pca": weights.pca}[w.kind]
    return fn(n), w.total


def _structure(spec: Segment) -> aggregate.Structure:
    if not spec.pillars:
        return aggregate.Structure(spec.aggregation.kind, None)
    return aggregate.Structure(
        spec.aggregation.kind,
        spec.pillar_positions(),
        tuple(p.aggregation for p in spec.pillars),
    )


def _tie_keys(
    method: Method, values: dict[str, np.ndarray], data: dict[str, np.ndarray], rows: np.ndarray
) -> list[np.ndarray]:
    keys = []
    for t in method.ranking.tie_break:
        src = values[t.column] if t.column in values else data[t.column]
        keys.append(rank.sort_key(src[rows], t.descending))
    return keys


def _has_industry(frame: pl.DataFrame) -> bool:
    """Whether any row has an industry code (an all-empty column counts as absent, so
    snapshots written before the column existed keep their input hash)."""
    return industry.COLUMN in frame.columns and frame[industry.COLUMN].null_count() < frame.height


def _canonical_input_hash(method: Method, prep: Prepared, derived: str = "") -> str:
    """SHA-256 over the values the method reads, independent of file format and row order.

    Rows are in id order; columns in name order, each as its name, then either the values as
    little-endian float64 (numbers and flags; missing = NaN) or the texts joined by U+001F
    (missing = U+0000).
    """
    ent = method.entity
    h = hashlib.sha256()
    order = prep.order
    texts = {c: prep.frame[c] for c in ent.text_columns if c != ent.segment_column}
    texts[ent.segment_column] = prep.frame["segment_input"]
    if _has_industry(prep.frame):
        texts[industry.COLUMN] = prep.frame[industry.COLUMN]
    numbers = dict(prep.raw_fields)
    for v in method.vetoes:
        if v.column in prep.frame.columns:
            numbers[v.column] = truthy(prep.frame[v.column]).astype(np.float64)
    for a in method.adjustments:
        if a.column in prep.frame.columns:
            numbers[a.column] = prep.frame[a.column].to_numpy()
    for name in sorted(set(texts) | set(numbers)):
        h.update(name.encode("utf-8") + b"\x00")
        if name in numbers:
            arr = np.asarray(numbers[name], dtype="<f8")[order] + 0.0  # a new array: −0 → 0
            arr[np.isnan(arr)] = np.nan  # one NaN bit pattern
            h.update(arr)
        else:
            col = texts[name].gather(order).fill_null("\x00")
            # As bytes straight from polars: no Python text object of the whole column.
            h.update(col.str.join("\x1f").cast(pl.Binary).item())
        h.update(b"\x1e")
    if derived:  # parameters of values derived from the input (e.g. emission factors)
        h.update(b"derived\x00" + derived.encode("utf-8") + b"\x1e")
    return h.hexdigest()


def evaluate(
    method: Method,
    frame: pl.DataFrame,
    *,
    robustness_draws: int = 0,
    seed: int = 0,
    progress: Progress | None = None,
    regrades: list[Regrade] | None = None,
    year: int | None = None,
) -> EvaluationResult:
    """Evaluate ``frame`` under ``method``; raise ``InputError`` naming rows and columns.

    ``year`` is the data year; it matters only to a method that reads ``co2_t``, whose missing
    values are computed from energy use with that year's emission factors (carbon.py; the
    latest published factors when ``None``)."""
    report = progress or (lambda done, total, label: None)
    steps = 4 + (1 if robustness_draws else 0)
    report(0, steps, "检查输入")
    prep = prepare(method, frame)
    # prep.frame is the input sorted by id; the caller's table is not needed here any more,
    # so a caller that keeps no reference of its own gets its memory back now.
    del frame
    carbon_columns: dict[str, pl.Series] = {}
    derived = ""
    if "co2_t" in method.read_fields:
        factors = carbon.factors(year)
        emitted, source = carbon.co2(prep.data, factors)
        prep.data["co2_t"] = emitted
        prep.warnings.extend(factors.notes)
        derived = factors.fingerprint
        names = np.array([None, carbon.SOURCE_REPORTED, carbon.SOURCE_ENERGY], dtype=object)
        carbon_columns = {
            "co2_used_t": num_column("co2_used_t", emitted),
            "co2_source": pl.Series("co2_source", names[source].tolist(), dtype=pl.String),
        }
    # The input hash reads only the checked input, which nothing below changes; it runs on a
    # second thread beside the scoring (hashlib, numpy and polars let go of the interpreter
    # lock on large buffers), so on a machine with a free core it costs no waiting.
    hasher = ThreadPoolExecutor(max_workers=1)
    input_hash_job = hasher.submit(_canonical_input_hash, method, prep, derived)
    hasher.shutdown(wait=False)
    base = prep.frame
    n_rows = base.height
    ent = method.entity
    report(1, steps, "计算指标")
    specs = method.all_fields
    used = {it.indicator for s in method.segments.values() for it in s.indicators}
    ind_values: dict[str, IndicatorValues] = {
        i.id: compute(i, prep.data, specs) for i in method.indicators if i.id in used
    }
    values = {k: v.value for k, v in ind_values.items()}
    seg_names = list(method.segments)
    seg_code = (
        base[ent.segment_column]
        .replace_strict({s: i for i, s in enumerate(seg_names)}, return_dtype=pl.Int64)
        .to_numpy()
    )
    groups = GroupIndex(base, method.grouping)
    veto_hit = {v.id: truthy(base[v.column]) for v in method.vetoes if v.column in base.columns}

    benchmarked = [
        k
        for k in values
        if any(
            it.indicator == k and it.scoring.kind == "benchmark_ratio"
            for seg in method.segments.values()
            for it in seg.indicators
        )
    ]
    out = _Outputs.start(n_rows, values, benchmarked)
    bench_out = _GroupOut(n_rows)
    ref_out = {r.name: _GroupOut(n_rows) for r in method.output.references}
    ref_values: dict[str, np.ndarray] = {}
    weight_rows, bench_rows = [], []
    runs: dict[str, SegmentRun] = {}

    report(2, steps, "评分与分等级")
    for seg_i, (seg_name, spec) in enumerate(method.segments.items()):
        rows = np.flatnonzero(seg_code == seg_i)
        if spec.exempt:
            out.cls_initial[rows] = out.cls_final[rows] = out.class_code(spec.exempt_class)
            continue
        excluded = np.zeros(len(rows), dtype=bool)
        for item in spec.indicators:
            if item.missing == "exclude":
                miss = np.isnan(values[item.indicator][rows])
                name = method.indicator(item.indicator).name
                out.add_reason(f"缺少或无法计算“{name}”，不参评", rows[miss])
                excluded |= miss
        for v in method.vetoes:
            if v.effect == "exclude" and v.id in veto_hit:
                hit = veto_hit[v.id][rows]
                out.add_reason(f"一票否决：{v.name}，不参评", rows[hit])
                excluded |= hit
        rows = rows[~excluded]
        # Population sums (benchmarks, averages) are taken in id order, so that floating-point
        # results do not depend on the input's row order.
        rows = rows[np.argsort(prep.id_rank[rows])]
        run = _score_segment(
            method,
            seg_name,
            spec,
            base,
            groups,
            rows,
            prep.id_rank[rows],
            ind_values,
            prep.data,
            values,
        )
        runs[seg_name] = run
        label_column = ent.name_column if ent.name_column in base.columns else ent.id_column
        prep.warnings.extend(_missing_warnings(method, run, base[label_column]))
        bands = spec.class_rules().bands
        codes = np.array([out.class_code(b.class_) for b in bands])
        out.cls_initial[rows] = codes[run.class_index]
        final = np.where(run.forced >= 0, run.forced, run.class_index)
        for v in method.vetoes:
            if v.effect == "force_class" and v.id in veto_hit:
                hit = veto_hit[v.id][rows]
                forced_idx = next((i for i, b in enumerate(bands) if b.class_ == v.class_), None)
                if forced_idx is not None:
                    final = np.where(hit, forced_idx, final)
                    run.forced = np.where(hit, forced_idx, run.forced)
                out.add_reason(f"一票否决：{v.name}，等级定为 {v.class_}", rows[hit])
        out.cls_final[rows] = codes[final]
        for j, ind_id in enumerate(run.indicator_ids):
            out.indicator_score[ind_id][rows] = run.total * run.eff[j] * run.n[:, j]
            weight_rows.append((seg_name, ind_id, float(run.total * run.eff[j])))
            bench = run.fitted[j].benchmark()
            if bench is not None:
                out.bench_values[ind_id][rows] = bench[run.fitted[j].g]
                bg = groups.resolve(rows, scoring_by(spec.indicators[j].scoring), seg_name)
                for gi, lab in enumerate(bg.labels):
                    bench_rows.append(
                        (seg_name, ind_id, lab, bg.levels[gi], int(bg.size[gi]), float(bench[gi]))
                    )
        composite_base = run.total * run.structure.score(run.n, run.eff, run.ideals)
        out.score_base[rows] = composite_base
        out.adj_ratio[rows] = run.adj_ratio
        out.adj_points[rows] = run.adj_points
        out.score[rows] = run.score
        top = int(codes[0])
        out.rank_groups.add(rows, run.rank_groups, top)
        if run.bench_groups is not None:
            bench_out.add(rows, run.bench_groups, top)
        out.rank_order[rows] = run.rank_pos + 1
        out.rank_comp[rows] = run.competition
        for ref in method.output.references:
            grp = groups.resolve(rows, ref.by, seg_name)
            ref_out[ref.name].add(rows, grp, top)
            for ind_id in run.indicator_ids:
                iv = ind_values[ind_id]
                if (
                    iv.numerator is None
                    or iv.denominator is None
                    or method.indicator(ind_id).formula.kind == "growth"
                ):
                    continue
                column = ref_values.setdefault(f"ref_{ref.name}__{ind_id}", np.full(n_rows, np.nan))
                sums = _ratio_of_sums(grp, rows, iv.value, iv.numerator, iv.denominator, iv.factor)
                column[rows] = sums[grp.g]

    for idx, (rg, band_idx) in _check_regrades(
        method, regrades or [], base, seg_code, runs
    ).items():
        seg_run = runs[seg_names[seg_code[idx]]]
        seg_run.forced[np.flatnonzero(seg_run.rows == idx)] = band_idx
        out.cls_final[idx] = out.class_code(rg.new_class)
        out.regrade_reason[idx] = rg.reason
        out.regrade_by[idx] = rg.by

    report(3, steps, "排名与输出")
    for grouped in (out.rank_groups, *ref_out.values()):
        grouped.count_top(out.cls_final)
    more: dict[str, pl.Series] = {
        **out.rank_groups.columns("group", with_top=True, with_label_size=False),
        **bench_out.columns("bench_group"),
    }
    for ref in method.output.references:
        more.update(ref_out[ref.name].columns(f"ref_{ref.name}_group", with_top=True))
        more.update(
            {
                k: num_column(k, v)
                for k, v in ref_values.items()
                if k.startswith(f"ref_{ref.name}__")
            }
        )
    more.update(_deduction_columns(method, prep.data))
    more.update(carbon_columns)
    extra: dict[str, pl.Series] = {}
    if robustness_draws:
        from pingtai.engine.robustness import simulate

        report(4, steps, f"稳健性模拟 {robustness_draws} 次")
        extra = simulate(method, runs, n_rows, robustness_draws, seed, progress)

    # The output is built column by column from these arrays; drop other references first so
    # that _assemble can release each array once its column exists (peak memory at 10⁶ rows).
    del ind_values
    prep.data.clear()
    input_hash = input_hash_job.result()  # before the fields it reads are released
    prep.raw_fields.clear()
    del values
    table = _assemble(method, base, out, more | extra, seg_code, prep.id_rank)
    report(steps, steps, "完成")
    return EvaluationResult(
        method=method,
        table=table,
        input_hash=input_hash,
        weights=pl.DataFrame(weight_rows, schema=["segment", "indicator", "weight"], orient="row"),
        benchmarks=pl.DataFrame(
            bench_rows,
            schema=["segment", "indicator", "group", "level", "size", "benchmark"],
            orient="row",
        ),
        warnings=prep.warnings,
        segments=runs,
        id_column=base[ent.id_column],
        robustness_draws=robustness_draws,
        seed=seed,
    )


@dataclass
class _Outputs:
    """Per-row output arrays (input order), filled segment by segment and turned into the
    output table by ``_assemble``."""

    values: dict[str, np.ndarray]  # indicator values
    bench_values: dict[str, np.ndarray]  # the benchmark each row was measured against
    indicator_score: dict[str, np.ndarray]  # each indicator's points
    score_base: np.ndarray
    adj_ratio: np.ndarray
    adj_points: np.ndarray
    score: np.ndarray
    class_names: list[str]  # class codes index this list
    cls_initial: np.ndarray  # class from the score bands
    cls_final: np.ndarray  # after vetoes and re-grades
    reasons: dict[str, np.ndarray]  # note text → rows it applies to
    regrade_reason: dict[int, str]  # row → text, for the few re-graded rows
    regrade_by: dict[int, str]
    rank_groups: _GroupOut
    rank_comp: np.ndarray  # 1-based competition rank, −1 unranked
    rank_order: np.ndarray  # 1-based unique position, −1 unranked

    @classmethod
    def start(cls, n_rows: int, values: dict[str, np.ndarray], benchmarked: list[str]) -> _Outputs:
        def empty() -> np.ndarray:
            return np.full(n_rows, np.nan)

        def unset() -> np.ndarray:
            return np.full(n_rows, -1, dtype=np.int64)

        return cls(
            values=values,
            bench_values={k: empty() for k in benchmarked},
            indicator_score={k: empty() for k in values},
            score_base=empty(),
            adj_ratio=empty(),
            adj_points=empty(),
            score=empty(),
            class_names=[],
            cls_initial=unset(),
            cls_final=unset(),
            reasons={},
            regrade_reason={},
            regrade_by={},
            rank_groups=_GroupOut(n_rows),
            rank_comp=unset(),
            rank_order=unset(),
        )

    def class_code(self, name: str) -> int:
        if name not in self.class_names:
            self.class_names.append(name)
        return self.class_names.index(name)

    def add_reason(self, text: str, rows: np.ndarray) -> None:
        if len(rows) == 0:
            return
        mask = self.reasons.setdefault(text, np.zeros(len(self.score), dtype=bool))
        mask[rows] = True


class _GroupOut:
    """Per-row group columns gathered over the segments: the group's label, size, level and
    how many of its members are in the segment's best class (after vetoes and re-grades)."""

    def __init__(self, n_rows: int):
        self.code = np.full(n_rows, -1, dtype=np.int64)
        self.size = np.full(n_rows, -1, dtype=np.int64)
        self.top = np.full(n_rows, -1, dtype=np.int64)
        self.labels: list[str] = []
        self.levels: list[str] = []
        self.parts: list[tuple[np.ndarray, Groups, int]] = []

    def add(self, rows: np.ndarray, grp: Groups, top_class: int) -> None:
        self.code[rows] = grp.g + len(self.labels)
        self.size[rows] = grp.size[grp.g]
        self.labels += grp.labels
        self.levels += grp.levels
        self.parts.append((rows, grp, top_class))

    def count_top(self, cls_final: np.ndarray) -> None:
        for rows, grp, top_class in self.parts:
            top = grp.members(cls_final[rows] == top_class)
            counts = np.bincount(grp.mg, weights=top.astype(np.float64), minlength=grp.n)
            self.top[rows] = counts[grp.g].astype(np.int64)

    def columns(
        self, name: str, with_top: bool = False, with_label_size: bool = True
    ) -> dict[str, pl.Series]:
        """``name``, ``name_size``, ``name_level`` (and ``<prefix>_top_count``); the rank
        group's label and size keep their historical names ``group`` and ``group_size``."""
        prefix = name.removesuffix("_group")
        cols = {}
        if with_label_size:
            cols[name] = text_column(self.code, self.labels, name)
            cols[f"{name}_size"] = int_column(f"{name}_size", self.size)
        cols[f"{name}_level"] = text_column(self.code, self.levels, f"{name}_level")
        if with_top:
            cols[f"{prefix}_top_count"] = int_column(f"{prefix}_top_count", self.top)
        return cols


def _ratio_of_sums(
    grp: Groups,
    rows: np.ndarray,
    value: np.ndarray,
    numerator: np.ndarray,
    denominator: np.ndarray,
    factor: float,
) -> np.ndarray:
    """Σ numerator ÷ Σ denominator over each group's members with a value (docs/methods.md §4)."""
    valid = grp.members(~np.isnan(value[rows]))
    num = np.bincount(grp.mg[valid], weights=grp.members(numerator[rows])[valid], minlength=grp.n)
    den = np.bincount(grp.mg[valid], weights=grp.members(denominator[rows])[valid], minlength=grp.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / den * factor, np.nan)


def _deduction_columns(method: Method, data: dict[str, np.ndarray]) -> dict[str, pl.Series]:
    """``deduct__<field>``: what each firm's deduction took off the field, in its declared unit."""
    fields = method.all_fields
    used = {it.indicator for s in method.segments.values() for it in s.indicators}
    pairs = {
        (t, src) for ind in method.indicators if ind.id in used for t, src in ind.deduct.items()
    }
    cols = {}
    for target, source in sorted(pairs):
        amount = deducted(data[target], data[source]) / float(units.to_base(fields[target].unit))
        cols[f"deduct__{target}"] = num_column(f"deduct__{target}", amount)
    return cols


def _check_regrades(
    method: Method,
    regrades: list[Regrade],
    base: pl.DataFrame,
    seg_code: np.ndarray,
    runs: dict[str, SegmentRun],
) -> dict:
    """Validate re-grades: a known, graded entity, a class of its segment and a reason."""
    if not regrades:
        return {}
    ids = base[method.entity.id_column].to_numpy()
    problems = []
    out = {}
    for k, rg in enumerate(regrades, start=1):
        where = np.flatnonzero(ids == rg.entity_id)
        if not where.size:
            problems.append(f"调档第 {k} 条：找不到主体“{rg.entity_id}”")
            continue
        idx = int(where[0])
        seg = list(method.segments)[seg_code[idx]]
        run = runs.get(seg)
        if run is None or not np.isin(idx, run.rows):
            problems.append(f"调档第 {k} 条（{rg.entity_id}）：该主体未参加评分，不能调档")
            continue
        spec = method.segments[seg]
        names = [b.class_ for b in spec.classes.bands] if spec.classes else []
        if not rg.reason.strip():
            problems.append(f"调档第 {k} 条（{rg.entity_id}）：必须填写调档理由")
        if rg.new_class not in names:
            problems.append(
                f"调档第 {k} 条（{rg.entity_id}）：等级“{rg.new_class}”不属于分类“{seg}”"
            )
            continue
        out[idx] = (rg, names.index(rg.new_class))
    if problems:
        raise InputError(problems)
    return out


def _score_segment(
    method: Method,
    seg_name: str,
    spec: Segment,
    base: pl.DataFrame,
    groups: GroupIndex,
    rows: np.ndarray,
    id_rank: np.ndarray,
    ind_values: dict[str, IndicatorValues],
    data: dict[str, np.ndarray],
    values: dict[str, np.ndarray],
) -> SegmentRun:
    k = len(spec.indicators)
    m = len(rows)
    x = np.empty((m, k))
    nmat = np.empty((m, k))
    fitted = []
    missing: list[MissingNote] = []
    bench_groups = None
    for j, item in enumerate(spec.indicators):
        iv = ind_values[item.indicator]
        xj = iv.value[rows]
        valid = ~np.isnan(xj)
        sc = item.scoring
        grp = groups.resolve(rows, scoring_by(sc), seg_name)
        if fits_population(sc):
            bench_groups = grp
        x[:, j] = xj
        if item.missing in ("impute_mean", "impute_median") and (~valid).any():
            pop_x, pop_valid = grp.members(xj), grp.members(valid)
            fill = (
                normalise.group_quantile(pop_x, pop_valid, grp.mg, grp.n, 50.0)
                if item.missing == "impute_median"
                else normalise.group_mean(pop_x, pop_valid, grp.mg, grp.n)
            )
            xj = np.where(valid, xj, fill[grp.g])
        f = normalise.fit(
            sc,
            method.indicator(item.indicator).direction,
            grp.members(xj),
            grp.members(valid),
            grp.mg,
            grp.n,
            None if iv.numerator is None else grp.members(iv.numerator[rows]),
            None if iv.denominator is None else grp.members(iv.denominator[rows]),
            iv.factor,
            assigned=grp.g,
        )
        nj = normalise.bound(f.transform(xj), item.cap, item.floor)
        still_missing = np.isnan(nj)
        if item.missing == "group_average_score":
            # Huangyan 2022: a firm without the data gets the segment's average score on it.
            if (~still_missing).any():
                fill_n, treatment = float(nj[~still_missing].mean()), "average"
            else:
                # Nobody has the value (e.g. growth before the first year of reports): no one
                # differs, so everyone scores what an all-equal population scores — the rule is
                # "average, not penalised", never 0 (docs/league.md, missing inputs).
                fill_n, treatment = _all_equal_score(sc, method, item), "all_equal"
            nj = np.where(still_missing, fill_n, nj)
        else:
            treatment = "zero"
            nj = np.where(still_missing, 0.0, nj)
        if still_missing.any():
            missing.append(MissingNote(item.indicator, treatment, np.flatnonzero(still_missing)))
        nmat[:, j] = nj
        fitted.append(f)
    eff, total = _segment_weights(spec, nmat)
    structure = _structure(spec)
    ideals = aggregate.topsis_ideals(nmat, eff) if structure.kind == "topsis" and m else None
    ratio, points = _adjustments(method, seg_name, base, rows)
    base_score = total * structure.score(nmat, eff, ideals)
    score = base_score * (1.0 + ratio) + points
    tie = _tie_keys(method, values, data, rows)
    rgp = groups.resolve(rows, method.ranking.by, seg_name)
    rpos, rmpos, competition = _positions_in(rgp, score, tie, id_rank)
    classes = spec.class_rules()
    if classes.by == method.ranking.by:
        cgp, cpos, cmpos = rgp, rpos, rmpos
    else:
        cgp = groups.resolve(rows, classes.by, seg_name)
        cpos, cmpos, _ = _positions_in(cgp, score, tie, id_rank)
    class_index = classify.classify(classes, score, cpos, cgp.g, cgp.size)
    return SegmentRun(
        name=seg_name,
        spec=spec,
        rows=rows,
        indicator_ids=[it.indicator for it in spec.indicators],
        x=x,
        n=nmat,
        fitted=fitted,
        caps=np.array([it.cap if it.cap is not None else np.inf for it in spec.indicators]),
        floors=np.array([it.floor if it.floor is not None else -np.inf for it in spec.indicators]),
        eff=eff,
        total=total,
        structure=structure,
        ideals=ideals,
        adj_ratio=ratio,
        adj_points=points,
        score=score,
        class_index=class_index,
        class_groups=cgp,
        class_member_pos=cmpos,
        rank_groups=rgp,
        rank_member_pos=rmpos,
        rank_pos=rpos,
        forced=np.full(m, -1, dtype=np.int64),
        competition=competition,
        id_rank=id_rank,
        bench_groups=bench_groups,
        missing=missing,
    )


def _all_equal_score(sc, method: Method, item) -> float:
    """The normalised score every entity gets when all values are equal (for min–max the
    top of the range, pymcdm's convention), within the item's cap and floor."""
    ones = np.ones(1)
    f = normalise.fit(
        sc,
        method.indicator(item.indicator).direction,
        ones,
        np.ones(1, dtype=bool),
        np.zeros(1, dtype=np.int64),
        1,
        ones,
        ones,
    )
    value = normalise.bound(f.transform(ones), item.cap, item.floor)[0]
    return float(value) if np.isfinite(value) else 0.0


def _missing_warnings(method: Method, run: SegmentRun, labels: pl.Series) -> list[str]:
    """One warning per indicator with missing values, naming the entities and the treatment
    the method file prescribes (at most five names, then a count)."""
    out = []
    for note in run.missing:
        rows = run.rows[note.rows]
        # Only the names shown are taken out of the column (a million names as Python
        # objects would cost more than the scoring).
        shown = "、".join(str(v) for v in labels.gather(rows[:5]).to_list())
        shown += f" 等 {len(rows)} 个" if len(rows) > 5 else ""
        name = method.indicator(note.indicator).name
        what = {
            "average": "按方法规定取参评主体该项平均得分（不扣分）",
            "all_equal": "全部参评主体均无此数据，按方法规定视同各主体相同，各得该项满分（不扣分）",
            "zero": "按方法规定该项记 0 分",
        }[note.treatment]
        out.append(f"“{name}”缺少数据：{shown}；{what}")
    return out


def _positions_in(
    grp: Groups, score: np.ndarray, tie: list[np.ndarray], id_rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's 0-based position in its own group, every membership's position, and each
    row's competition rank; a group's order covers all its members."""
    member_score = grp.members(score)
    order = rank.order_within(
        grp.mg, member_score, [grp.members(t) for t in tie], grp.members(id_rank)
    )
    member_pos = rank.positions(grp.mg, order, grp.n)
    competition = rank.competition_rank(grp.mg, member_score, order, grp.n)
    return grp.own_of(member_pos), member_pos, grp.own_of(competition)


def _sparse_text(name: str, cells: dict[int, str], key: np.ndarray) -> pl.Series:
    """A text column, empty but for ``cells`` (input row → text), in the order ``key``."""
    column = pl.repeat(None, len(key), dtype=pl.String, eager=True).alias(name)
    if not cells:
        return column
    position = np.empty_like(key)
    position[key] = np.arange(len(key))
    return column.scatter(position[list(cells)], list(cells.values()))


def _assemble(
    method: Method,
    base: pl.DataFrame,
    out: _Outputs,
    extra: dict[str, pl.Series],
    seg_code: np.ndarray,
    id_rank: np.ndarray,
) -> pl.DataFrame:
    """The output table, rows in segment order (method file), group, rank; unranked rows last
    in their segment, by id. Columns are gathered into that order once, as numpy arrays."""
    # One int64 sort key: segment, then group (unranked rows after every group), then rank
    # position, or the id order for unranked rows.
    n = len(id_rank)
    group_code = out.rank_groups.code
    n_groups = max(len(out.rank_groups.labels), 1)
    g = np.where(group_code < 0, n_groups, group_code)
    pos = np.where(out.rank_order < 0, id_rank, out.rank_order - 1)
    key = np.argsort((seg_code * (n_groups + 1) + g) * (n + 1) + pos)  # keys are unique
    ent = method.entity
    labels = {}
    for seg in method.segments.values():
        if seg.classes:
            labels.update({b.class_: b.label for b in seg.classes.bands})
    text_cols = list(dict.fromkeys([ent.id_column, *ent.text_columns, "segment_input"]))
    if _has_industry(base):
        text_cols.append(industry.COLUMN)
    cols: list[pl.Series] = list(base.select(text_cols)[key].get_columns())
    seg_key = seg_code[key]
    # An indicator's value is shown only for entities whose segment uses it.
    for k in list(out.values):
        v = out.values.pop(k)
        uses = np.array(
            [any(it.indicator == k for it in spec.indicators) for spec in method.segments.values()]
        )
        shown = v[key]  # a gather is a new array: it is changed in place from here on
        shown[~uses[seg_key]] = np.nan
        cols.append(num_column(k, shown, scratch=True))
    for k in list(out.bench_values):
        cols.append(num_column(f"bench__{k}", out.bench_values.pop(k)[key], scratch=True))
    for k in list(out.indicator_score):
        cols.append(num_column(f"score__{k}", out.indicator_score.pop(k)[key], scratch=True))
    cols += [
        num_column("score_base", out.score_base[key], scratch=True),
        num_column("adj_ratio", out.adj_ratio[key], scratch=True),
        num_column("adj_points", out.adj_points[key], scratch=True),
        num_column("score", out.score[key], scratch=True),
        text_column(out.cls_initial[key], out.class_names, "class_initial"),
        text_column(out.cls_final[key], out.class_names, "class"),
        text_column(
            out.cls_final[key], [labels.get(c, "") for c in out.class_names], "class_label"
        ),
    ]
    if out.reasons:
        frame = pl.DataFrame({f"r{i}": m[key] for i, m in enumerate(out.reasons.values())})
        parts = [pl.when(pl.col(f"r{i}")).then(pl.lit(t)) for i, t in enumerate(out.reasons)]
        note = frame.select(
            pl.concat_str(parts, separator="；", ignore_nulls=True).alias("note")
        ).to_series()
        note = pl.select(pl.when(note == "").then(None).otherwise(note).alias("note")).to_series()
    else:
        note = pl.repeat(None, base.height, dtype=pl.String, eager=True).alias("note")
    idx = pl.Series(key)
    cols += [
        note,
        _sparse_text("regrade_reason", out.regrade_reason, key),
        _sparse_text("regrade_by", out.regrade_by, key),
        text_column(group_code[key], out.rank_groups.labels, "group"),
        int_column("rank", out.rank_comp[key]),
        int_column("rank_order", out.rank_order[key]),
        int_column("group_size", out.rank_groups.size[key]),
    ]
    cols += [s.gather(idx) for s in extra.values()]
    return pl.DataFrame(cols)
