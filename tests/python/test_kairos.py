"""The `kairos` Python package (crates/kairos-py, docs/python.md) against the CLI and the shared
vectors: decisions as `kairos decide` prints them, the scenario cases decided three ways, the
bucketing, signing and preview vectors, resident visitors, errors with their codes, and replays
over Arrow tables, NDJSON and Parquet equal to `kairos replay --format json`."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kairos
from support import DEMO, ROOT, compiled, kairos as cli, track_schema
from vectors import case_files, compare

EXAMPLES = [
    (DEMO, ROOT / "examples" / "demo" / "context.json"),
    (ROOT / "examples" / "email" / "rules.json", ROOT / "examples" / "email" / "context.json"),
] + [
    (path, path.with_name(path.stem + ".context.json"))
    for path in sorted((ROOT / "examples" / "scenarios").glob("[0-9]*.json"))
    if not path.name.endswith(".context.json")
]
VECTORS = ROOT / "tests" / "vectors"


def error_of(call, *args, **kwargs):
    with pytest.raises(kairos.KairosError) as caught:
        call(*args, **kwargs)
    return caught.value


# ---- deciding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rules,context", EXAMPLES, ids=[r.stem for r, _ in EXAMPLES])
def test_decide_is_what_the_cli_prints(rules, context, tmp_path):
    engine = kairos.Engine.load(compiled(rules, tmp_path))
    bundle = tmp_path / "bundle.bin"
    bundle.write_bytes(engine.bundle)
    text = context.read_text(encoding="utf-8")
    for explain in (False, True):
        flags = ["--explain"] if explain else []
        want = json.loads(cli("decide", "--bundle", bundle, "--context", context, *flags))
        assert engine.decide(text, explain=explain) == want
        assert engine.decide(json.loads(text), explain=explain) == want


def test_engine_properties_and_compile(tmp_path):
    bundle = compiled(DEMO, tmp_path)
    engine = kairos.Engine.load(bundle)
    assert engine.bundle == bundle
    assert kairos.compile(DEMO.read_text()) == bundle
    assert kairos.compile(json.loads(DEMO.read_text())) == bundle
    text = kairos.Engine.compile((ROOT / "examples" / "demo" / "rules.kairos").read_text())
    assert text.bundle == bundle and text.bundle_id == engine.bundle_id
    assert engine.name == "demo-shop"
    assert engine.segments == ["cart_abandoner", "evening_mobile_abandoner"]
    assert engine.slots == ["cta", "hero", "offer"]
    assert engine.bundle_id and engine.bundle_id in repr(engine)


@pytest.mark.parametrize("file,doc,bundle", case_files(), ids=[f for f, _, _ in case_files()])
def test_scenario_vectors_three_ways(file, doc, bundle):
    """Each case decided from its context, by a visitor told its events one by one, and by that
    visitor saved and restored (as tests/every-way.mjs does for the JavaScript runtimes)."""
    engine = kairos.Engine.compile(bundle.read_text(encoding="utf-8"))
    failures = []
    for case in doc["cases"]:
        ctx = case["context"]
        decision = engine.decide(ctx, explain=True)
        person = {k: ctx[k] for k in ("customer_id", "consent", "profile", "scores", "timezone", "utc_offset") if k in ctx}
        visitor = engine.visitor(person)
        for event in ctx.get("events", []):
            visitor.track(event)
        moment = {k: ctx[k] for k in ("now", "session", "geo", "timezone", "utc_offset", "event") if k in ctx}
        tracked = visitor.decide(moment, explain=True)
        restored = engine.restore(visitor.save()).decide(moment, explain=True)
        problems = compare(case, decision)
        for how, d in (("visitor", tracked), ("restored visitor", restored)):
            if d != decision:
                problems.append(f"{how} differs from decide(context)")
        failures += [f"{file} › {case['name']}: {p}" for p in problems]
    assert not failures, "\n".join(failures)


def test_bucketing_vectors():
    doc = json.loads((VECTORS / "bucketing.json").read_text(encoding="utf-8"))
    for v in doc["vectors"]:
        assert kairos.bucket(v["salt"], v["customer_id"]) == v["bucket"], v


def test_signing_vector():
    doc = json.loads((VECTORS / "signing.json").read_text(encoding="utf-8"))
    envelope, key = bytes.fromhex(doc["envelope"]), doc["public_key"]
    for given in (key, key.encode() + b"\n", bytes.fromhex(key)):
        assert kairos.Engine.load(envelope, public_key=given).bundle == envelope
    assert error_of(kairos.Engine.load, bytes.fromhex(doc["bundle"]), public_key=key).code == "E_BUNDLE_UNSIGNED"
    tampered = envelope[:-1] + bytes([envelope[-1] ^ 1])
    assert error_of(kairos.Engine.load, tampered, public_key=key).code == "E_BUNDLE_SIGNATURE"
    assert error_of(kairos.Engine.load, envelope, public_key="zz" * 32).code == "E_KEY"
    assert kairos.Engine.load(envelope).slots == ["hero"]  # unchecked without a key


def test_preview_vector():
    doc = json.loads((VECTORS / "preview.json").read_text(encoding="utf-8"))
    engine = kairos.Engine.compile((ROOT / doc["rules"]).read_text(encoding="utf-8"))
    now = 1796644800000  # 2026-12-07T12:00:00Z
    visitor = engine.visitor({"consent": {"personalization": True}})
    saved = visitor.save()
    assert visitor.preview(doc["token"], doc["public_key"], now) == ""
    slots = visitor.decide({"now": now})["slots"]
    forced = {n: {"is_default": s["is_default"], "variant": s["variant"]} for n, s in slots.items() if s["reason"] == "forced"}
    assert forced == doc["forced"]
    assert visitor.save() == saved
    assert error_of(visitor.preview, doc["tampered"], doc["public_key"], now).code == "E_PREVIEW"
    assert all(s["reason"] != "forced" for s in visitor.decide({"now": now})["slots"].values())


# ---- visitors ---------------------------------------------------------------------------------


def test_visitor_tracks_decides_saves(tmp_path):
    engine = kairos.Engine.load(compiled(DEMO, tmp_path))
    visitor = engine.visitor({"customer_id": "cust-42", "consent": {"personalization": True}})
    assert len(visitor) == 0 and visitor.has_consent
    visitor.track({"e": "cart_viewed", "t": "2026-11-23T17:00:00Z", "p": {"category": "shoes"}})
    assert visitor.track_all('[{"event": "Cart Viewed", "timestamp": "2026-11-23T17:30:00Z"}]') == 1
    assert len(visitor) == 2
    moment = {"now": "2026-11-23T19:00:00Z", "timezone": "Europe/Paris", "session": {"device": "mobile"}}
    decision = visitor.decide(moment, explain=True)
    context = {"now": moment["now"], "customer_id": "cust-42", "consent": {"personalization": True},
               "timezone": "Europe/Paris", "session": {"device": "mobile"},
               "events": [{"e": "cart_viewed", "t": "2026-11-23T17:00:00Z", "p": {"category": "shoes"}},
                          {"e": "cart_viewed", "t": "2026-11-23T17:30:00Z"}]}
    assert decision == engine.decide(context, explain=True)
    restored = engine.restore(visitor.save())
    assert len(restored) == 2 and restored.decide(moment, explain=True) == decision
    assert engine.render("offer", context) == {k: v for k, v in decision["slots"]["offer"].items() if k != "explain"}
    visitor.set_person({"customer_id": "cust-42"})
    assert not visitor.has_consent and visitor.decide(moment)["consent"] is False


def test_visitor_refuses_whole():
    engine = kairos.Engine.compile(DEMO.read_text())
    visitor = engine.visitor()
    err = error_of(visitor.track, {"e": "", "t": 0})
    assert (err.code, err.path) == ("E_EVENT", "name")
    err = error_of(visitor.track_all, [{"e": "a", "t": 1795453500000}, {"e": "b", "t": "soon"}])
    assert err.code == "E_EVENT" and err.path == "[1].t" and len(visitor) == 0
    err = error_of(visitor.track, '{"e": "a",\n "t": true}')
    assert (err.code, err.path, err.line) == ("E_EVENT", "t", 2)
    err = error_of(visitor.decide, {"session": {}})
    assert err.code == "E_CONTEXT" and "now" in err.message
    err = error_of(visitor.render, "nope", {"now": 0})
    assert err.code == "E_SLOT" and "offer" in err.message
    assert error_of(engine.restore, b"not saved").code == "E_VISITOR_VERSION"
    other = kairos.Engine.compile((ROOT / "examples" / "scenarios" / "01-abandoned-deposit.json").read_text())
    visitor.track({"e": "cart_viewed", "t": 1795453500000})
    assert error_of(other.restore, visitor.save()).code == "E_VISITOR_BUNDLE"


# ---- errors -----------------------------------------------------------------------------------


def test_errors_carry_codes_and_places(tmp_path):
    bundle = compiled(DEMO, tmp_path)
    assert issubclass(kairos.KairosError, ValueError)
    err = error_of(kairos.Engine.load, b"not a bundle")
    assert err.code == "E_BUNDLE_MAGIC" and str(err).startswith("E_BUNDLE_MAGIC: ")
    assert error_of(kairos.Engine.load, bundle[:-3]).code == "E_BUNDLE_CORRUPT"
    engine = kairos.Engine.load(bundle)
    err = error_of(engine.decide, '{"now": 0,\n "session": {"device": 3}}')
    assert (err.code, err.path, err.line) == ("E_CONTEXT", "session.device", 2) and err.column
    err = error_of(engine.decide, {"now": 0, "events": [{"e": "x", "t": "yesterday"}]})
    assert (err.code, err.path, err.line) == ("E_CONTEXT", "events[0].t", None)
    assert error_of(engine.decide, {"now": float("nan")}).code == "E_CONTEXT"
    err = error_of(kairos.Engine.compile, '{"kairos": 1, "slots": {"a": {"default": {"id": "x", "content": null},\n'
                   ' "variants": [{"id": "v", "when": {"segment": "nope"}, "content": 1}]}}}')
    assert (err.code, err.line, err.path) == ("E_UNKNOWN_SEGMENT", 2, "slots.a.variants[0].when.segment")
    assert "^^^^" in err.message
    assert error_of(kairos.compile, "segment x:\n  cuont(a) > 1\n").code in ("E_SYNTAX", "E_UNKNOWN_SIGNAL")


# ---- replays ----------------------------------------------------------------------------------


def cli_json(bundle, log, *flags):
    return json.loads(cli("replay", "--bundle", bundle, "--events", log, "--format", "json", *flags))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.bin"
    cli("compile", DEMO, "-o", path)
    return path, kairos.Engine.load(path.read_bytes())


def test_replay_over_arrow_ndjson_and_parquet_is_the_cli_report(track_log, demo, tmp_path):
    log, columns = track_log
    bundle, engine = demo
    want = cli_json(bundle, log, "--step", "6h")
    table = pa.table(columns)
    assert kairos.replay(engine, table, step="6h").to_dict() == want
    assert kairos.replay(engine, table.to_reader(max_chunksize=1000), step=6 * 3600 * 1000).to_dict() == want
    assert kairos.replay(engine, iter(table.to_batches(max_chunksize=777)), step="6h").to_dict() == want
    assert kairos.replay(engine, log.read_bytes(), step="6h").to_dict() == want
    assert kairos.replay(engine, log, step="6h", threads=1).to_dict() == want
    parquet = tmp_path / "events.parquet"
    pq.write_table(pa.table(columns, schema=track_schema()), parquet, row_group_size=5000)
    assert kairos.replay(engine, str(parquet), step="6h").to_dict() == want
    generated = tmp_path / "generated.parquet"  # as `kairos gen --format parquet` writes it
    cli("gen", "--customers", 300, "--days", 3, "--seed", 5, "--format", "parquet", "-o", generated)
    assert kairos.replay(engine, generated, step="1h").to_dict() == cli_json(bundle, generated, "--step", "1h")
    # Text forms are the CLI's too.
    report = kairos.replay(engine, table, step="6h")
    assert report.to_json() == cli("replay", "-b", bundle, "-e", log, "--step", "6h", "--format", "json").rstrip("\n")
    assert report.table().rstrip("\n") == cli("replay", "-b", bundle, "-e", log, "--step", "6h").rstrip("\n")
    assert report.csv().rstrip("\n") == cli("replay", "-b", bundle, "-e", log, "--step", "6h", "--format", "csv").rstrip("\n")


def test_replay_options_are_the_cli_flags(track_log, demo):
    log, columns = track_log
    bundle, engine = demo
    flags = ["--step", "1d", "--from", "2026-11-03T00:00:00Z", "--to", "2026-11-06T00:00:00Z",
             "--lookback", "3d", "--session-timeout", "20m", "--require-consent"]
    want = cli_json(bundle, log, *flags)
    from datetime import datetime, timezone
    got = kairos.replay(engine, pa.table(columns), step="1d", start=datetime(2026, 11, 3, tzinfo=timezone.utc),
                        end="2026-11-06T00:00:00Z", lookback="3d", session_timeout=20 * 60 * 1000,
                        assume_consent=False)
    assert got.to_dict() == want
    assert [s["time"] for s in want["steps"]] == [f"2026-11-0{d}T00:00:00.000Z" for d in (3, 4, 5, 6)]
    assert error_of(kairos.replay, engine, b"", step="0h").code == "E_DURATION"
    assert error_of(kairos.replay, engine, b"", start="2026-11-05T00:00:00Z", end="2026-11-04T00:00:00Z").code == "E_USAGE"
    assert error_of(kairos.replay, engine, b"", start=datetime(2026, 11, 3)).code == "E_TIME"
    assert error_of(kairos.replay, engine, b"", start=-2**62, end=2**62).code == "E_TIME"
    assert error_of(kairos.replay, engine, b"", step=2**62).code == "E_DURATION"


def test_report_arrow_svg_and_shape(track_log, demo):
    _, columns = track_log
    _, engine = demo
    report = kairos.replay(engine, pa.table(columns), step="1d")
    table = report.to_arrow()
    assert table.schema == pa.schema([("step", pa.timestamp("ms", tz="UTC")), ("segment", pa.string()),
                                      ("size", pa.int64()), ("entered", pa.int64()), ("left", pa.int64()),
                                      ("unknown", pa.int64())])
    steps = report.to_dict()["steps"]
    assert table.num_rows == len(steps) * len(engine.segments) == len(report.steps) * 2
    rows = table.to_pylist()
    for i, step in enumerate(steps):
        for j, name in enumerate(engine.segments):
            row = rows[i * len(engine.segments) + j]
            assert row["segment"] == name
            assert int(row["step"].timestamp() * 1000) == step["at"] == report.steps[i]
            assert {k: row[k] for k in ("size", "entered", "left", "unknown")} == step["segments"][name]
    svg = report.svg()
    assert svg.startswith("<svg") and "cart_abandoner" in svg and svg.rstrip().endswith("</svg>")
    assert report.step_ms == 86_400_000 and report.segments == engine.segments


def test_bad_columns_and_rows_are_located(track_log, demo, tmp_path):
    _, columns = track_log
    _, engine = demo
    table = pa.table(columns, schema=track_schema())
    err = error_of(kairos.replay, engine, table.drop_columns(["timestamp"]))
    assert err.code == "E_COLUMN" and err.path == "timestamp" and "timestamp" in err.message
    mistyped = table.set_column(table.schema.get_field_index("event"), "event", pa.array(range(table.num_rows)))
    err = error_of(kairos.replay, engine, mistyped)
    assert err.code == "E_COLUMN" and err.path == "event" and "event" in err.message
    parquet = tmp_path / "mistyped.parquet"
    pq.write_table(mistyped, parquet)
    err = error_of(kairos.replay, engine, parquet)
    assert (err.code, err.path) == ("E_COLUMN", "event") and str(parquet) in err.message
    # A row the replay refuses: its number, and what it was read as (Arrow) or its column (Parquet).
    bad = pa.table({"timestamp": ["2026-11-01T00:00:00Z", "2026-11-01T00:01:00Z"], "type": ["track", "track"],
                    "event": ["Cart Viewed", "Cart Viewed"], "user_id": ["c1", "c2"],
                    "properties": ['{"category": "shoes"}', '{"category": "shoes"']})
    err = error_of(kairos.replay, engine, bad)
    assert err.code == "E_EVENT_LOG" and err.line == 2 and "row 2" in err.message and '"c2"' in err.message
    pq.write_table(bad, tmp_path / "bad.parquet")
    err = error_of(kairos.replay, engine, tmp_path / "bad.parquet")
    assert (err.code, err.line, err.path) == ("E_EVENT_LOG", 2, "properties") and "row 2, column `properties`" in err.message
    assert kairos.replay(engine, bad, skip_bad=True).to_dict()["stats"]["skipped"] == 1
    err = error_of(kairos.replay, engine, b"PAR1 but not really", step="1h")  # bytes are NDJSON
    assert (err.code, err.line) == ("E_EVENT_LOG", 1)
    (tmp_path / "damaged.parquet").write_bytes(b"PAR1" + bytes(100))
    assert error_of(kairos.replay, engine, tmp_path / "damaged.parquet").code == "E_COLUMN"
    err = error_of(kairos.replay, engine, b'{"c":"a","e":"x","t":1795453500000}\n{"c":"a","e":"x" "t":1}\n')
    assert (err.code, err.line, err.column) == ("E_EVENT_LOG", 2, 18)
    assert error_of(kairos.replay, engine, tmp_path / "missing.ndjson").code == "E_IO"


def test_a_failing_batch_source_raises_its_own_error(demo):
    _, engine = demo

    def batches():
        yield pa.record_batch({"timestamp": ["2026-11-01T00:00:00Z"], "event": ["x"], "user_id": ["c1"]})
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        kairos.replay(engine, batches())
