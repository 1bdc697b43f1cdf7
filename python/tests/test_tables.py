"""Tables: to_pandas / to_arrow / to_parquet, and a directory of traces as one Parquet dataset
partitioned by run and layer, queried with DuckDB."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import sample
from attnscope import TraceReader, TraceWriter
from attnscope.tables import COLUMNS, write_dataset
from conftest import GOLDEN, TRACES

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")


def test_columns_and_values_of_golden():
    with TraceReader(GOLDEN) as r:
        df = r.to_pandas()
        m = r.header.model
        assert list(df.columns) == list(COLUMNS)
        assert len(df) == r.step_count * m.layers * m.heads
        f = r.frame(1)
        row = df[(df.step == 1) & (df.layer == 1) & (df["head"] == 0)].iloc[0]
        h = f.metrics[2]
        assert row.phase == "decode" and row.position == f.step.position
        assert row.visible_kv == h.visible_kv and row.selected == h.selected
        assert row.sink_mass_4 == h.sink_mass_4 and row.recall == h.recall
        assert row.top_sink_position == h.top_sinks[0].position and row.top_sink_score == h.top_sinks[0].score
        assert row.kv_entries == f.kv[1].entries and row.emitted_token_id == f.step.emitted_token.id
        assert np.isnan(df[df.step == 0].overlap_kept).all()   # unknown at prefill


def test_arrow_has_nulls_where_csv_is_empty_and_parquet_round_trips(tmp_path):
    import pyarrow.parquet as pq
    h = sample.header(seed=6)
    path = tmp_path / "s.atrace"
    with TraceWriter(path, h) as w:
        for s in range(9):
            w.append(sample.frame(h, s, seed=6))
    with TraceReader(path) as r:
        t = r.to_arrow()
        df = r.to_pandas()
        r.to_parquet(tmp_path / "s.parquet")
    assert t.column_names == list(COLUMNS)
    assert t.column("emitted_token_id").null_count == df.emitted_token_id.isna().sum() > 0   # steps ≥ 7
    assert t.column("top_sink_position").null_count == df.top_sink_position.isna().sum() > 0
    assert t.column("recall").null_count == df.recall.isna().sum() > 0
    back = pq.read_table(tmp_path / "s.parquet")
    assert back.equals(t)


def test_directory_of_traces_as_a_parquet_dataset_queried_by_duckdb(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    runs = tmp_path / "runs"
    runs.mkdir()
    shutil.copy(GOLDEN, runs / "golden.atrace")
    shutil.copy(TRACES / "reference" / "golden.atrace", runs / "smollm.atrace")
    shutil.copy(TRACES / "diff" / "b.atrace", runs / "b.atrace")
    out = tmp_path / "dataset"
    assert write_dataset(runs, out) == ["b", "golden", "smollm"]
    assert (out / "run=smollm" / "layer=29").is_dir()
    con = duckdb.connect()
    got = con.execute(
        f"SELECT run, layer, count(*) AS n, avg(sink_mass_4) AS s4, sum(recall IS NULL) AS unknown_recall "
        f"FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) "
        f"GROUP BY run, layer ORDER BY run, layer").fetchall()
    expected = []
    for name in ("b", "golden", "smollm"):
        with TraceReader(runs / f"{name}.atrace") as r:
            df = r.to_pandas()
        for layer, g in df.groupby("layer"):
            expected.append((name, int(layer), len(g), g.sink_mass_4.mean(), int(g.recall.isna().sum())))
    assert len(got) == len(expected) == 2 + 2 + 30
    for (run, layer, n, s4, unk), (erun, elayer, en, es4, eunk) in zip(got, expected):
        assert (run, int(layer), n, int(unk)) == (erun, elayer, en, eunk)
        assert s4 == pytest.approx(es4, rel=1e-12)
    # Writing a run again replaces its partitions instead of duplicating rows.
    write_dataset([runs / "golden.atrace"], out)
    n = con.execute(f"SELECT count(*) FROM read_parquet('{out}/run=golden/**/*.parquet')").fetchone()[0]
    assert n == 16
