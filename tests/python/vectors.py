"""The scenario spec vectors (docs/vectors.md) for the Python runner: the matching rules of
tests/scenario-cases.mjs (and tests/scenarios.rs), applied to a decision as a dict."""

import json
from pathlib import Path

from support import ROOT

CASES_DIR = ROOT / "examples" / "scenarios" / "cases"


def case_files():
    """Every cases file, sorted: (file name, document, bundle path)."""
    out = []
    for path in sorted(CASES_DIR.glob("*.cases.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        out.append((path.name, doc, (CASES_DIR / doc["bundle"]).resolve()))
    return out


def _same(a, b):
    """JSON equality, numbers by value; a missing value and null are the same."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (a is None and b is None)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        ka = {k for k, v in a.items() if v is not None}
        kb = {k for k, v in b.items() if v is not None}
        return ka == kb and all(_same(a[k], b[k]) for k in ka)
    return a == b


def _subset_diff(want, got, at=""):
    """Where `got` fails to contain `want` (objects: the listed keys), or None."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k, v in want.items():
            if k not in got:
                return f"{at}/{k}"
            d = _subset_diff(v, got[k], f"{at}/{k}")
            if d is not None:
                return d
        return None
    return None if _same(want, got) else at


def _text_matches(m, s):
    if not isinstance(s, str):
        return False
    if isinstance(m, str):
        return s == m
    for k, v in m.items():
        if k == "prefix" and not s.startswith(v):
            return False
        if k == "suffix" and not s.endswith(v):
            return False
        if k == "contains" and not all(p in s for p in (v if isinstance(v, list) else [v])):
            return False
        if k not in ("prefix", "suffix", "contains"):
            return False
    return True


def _strings(v, out):
    if isinstance(v, str):
        out.append(v)
    elif isinstance(v, list):
        for x in v:
            _strings(x, out)
    elif isinstance(v, dict):
        for x in v.values():
            _strings(x, out)
    return out


def _pointer(v, p):
    for part in p.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(v, dict):
            v = v.get(part)
        elif isinstance(v, list) and part.isdigit() and int(part) < len(v):
            v = v[int(part)]
        else:
            v = None
    return v


def compare(case, decision):
    """Every way `decision` differs from the case's expectations (empty: it matches)."""
    out = []
    for slot, want in case["expect"].items():
        got = (decision.get("slots") or {}).get(slot)
        if not got:
            out.append(f"slot `{slot}`: not in the decision")
            continue

        def diff(what, w, g):
            out.append(f"slot `{slot}` {what}: expected {w!r}, got {g!r}")

        explain = got.get("explain")
        for key, w in want.items():
            if key in ("variant", "reason"):
                if not _same(w, got.get(key)):
                    diff(key, w, got.get(key))
            elif key == "default":
                if not _same(w, got.get("is_default")):
                    diff("default", w, got.get("is_default"))
            elif key == "vars":
                have = got.get("vars") or {}
                if w is None:
                    if have:
                        diff("vars", "none", have)
                else:
                    for name, value in w.items():
                        if not _same(value, have.get(name)):
                            diff(f"var `{name}`", value, have.get(name))
            elif key == "content":
                at = _subset_diff(w, got.get("content"))
                if at is not None:
                    diff(f"content{at}", _pointer(w, at), _pointer(got.get("content"), at))
            elif key == "content_matches":
                for p, m in w.items():
                    value = _pointer(got.get("content"), p)
                    if not _text_matches(m, value):
                        diff(f"content {p}", m, value)
            elif key == "explain":
                texts = _strings(explain, [])
                for fragment in w:
                    options = [fragment] if isinstance(fragment, str) else fragment["any_of"]
                    if not any(f in t for f in options for t in texts):
                        diff("explanation", f"a text containing {fragment!r}", explain)
            elif key == "summary":
                if not _text_matches(w, (explain or {}).get("summary")):
                    diff("summary", w, (explain or {}).get("summary"))
            elif key == "candidate_order":
                order = [c["variant"] for c in (explain or {}).get("candidates") or []]
                if not _same(w, order):
                    diff("candidate order", w, order)
            elif key == "candidates":
                candidates = (explain or {}).get("candidates") or []
                for variant, cw in w.items():
                    cand = next((c for c in candidates if c["variant"] == variant), None)
                    if cand is None:
                        diff(f"candidate `{variant}`", "an explained candidate", candidates)
                        continue
                    for field, fw in cw.items():
                        fg = cand.get(field)
                        if field in ("eligible", "priority", "score"):
                            ok = _same(fw, fg)
                        elif field == "missing":
                            ok = _same(fw, fg) or (fw == [] and fg is None)
                        elif field in ("failed", "excluded"):
                            ok = fg is None if fw is None else _text_matches(fw, fg)
                        else:
                            out.append(f"slot `{slot}` candidate `{variant}`: unknown expectation key `{field}`")
                            continue
                        if not ok:
                            diff(f"candidate `{variant}` {field}", fw, fg)
            else:
                out.append(f"slot `{slot}`: unknown expectation key `{key}`")
    for key, want in (case.get("expect_decision") or {}).items():
        if key in ("consent", "holdout", "missing"):
            if not _same(want, decision.get(key)):
                out.append(f"decision {key}: expected {want!r}, got {decision.get(key)!r}")
        elif key == "missing_includes":
            for m in want:
                if not any(_text_matches(m, e) for e in decision.get("missing") or []):
                    out.append(f"decision missing: expected an entry matching {m!r}, got {decision.get('missing')!r}")
        else:
            out.append(f"expect_decision: unknown key `{key}`")
    return out
