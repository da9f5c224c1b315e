// The scenario spec vectors for the JavaScript runners (wasm in Node, the page module in Chromium,
// the Worker in workerd): reads examples/scenarios/cases/*.cases.json and compares one decision
// with one case. The rules are those of docs/vectors.md ("Matching"); tests/scenarios.rs applies
// the same rules natively.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CASES_DIR = join(ROOT, 'examples', 'scenarios', 'cases');
const CLI = join(ROOT, 'target', 'debug', 'kairos');

/** Every cases file, sorted: `{ file, doc, bundle }` with `bundle` the rules path relative to ROOT. */
export function caseFiles() {
  return readdirSync(CASES_DIR).filter((f) => f.endsWith('.cases.json')).sort().map((file) => {
    const doc = JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8'));
    return { file, doc, bundle: relative(ROOT, join(CASES_DIR, doc.bundle)) };
  });
}

/** Compiles a bundle (a path relative to ROOT) with the native CLI; returns the bytes in their own ArrayBuffer. */
export function compileBundle(bundle, out = join(mkdtempSync(join(tmpdir(), 'kairos-cases-')), 'bundle.bin')) {
  execFileSync(CLI, ['compile', join(ROOT, bundle), '-o', out]);
  return new Uint8Array(readFileSync(out));
}

export function countSlots(files) {
  return files.reduce((n, { doc }) => n + doc.cases.reduce((m, c) => m + Object.keys(c.expect).length, 0), 0);
}

const show = (v) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** JSON equality, numbers by value; undefined and null are the same (absent fields). */
function same(a, b) {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
  }
  return a === b;
}

/** Where `got` fails to contain `want` (objects: the listed keys; everything else: equal), or null. */
function subsetDiff(want, got, at = '') {
  if (want && typeof want === 'object' && !Array.isArray(want) && got && typeof got === 'object' && !Array.isArray(got)) {
    for (const [k, v] of Object.entries(want)) {
      if (!(k in got)) return `${at}/${k}`;
      const d = subsetDiff(v, got[k], `${at}/${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return same(want, got) ? null : at;
}

/** A matcher: a string is equality; an object needs each of `prefix`, `suffix`, `contains` it has. */
function textMatches(m, s) {
  if (typeof s !== 'string') return false;
  if (typeof m === 'string') return s === m;
  return Object.entries(m).every(([k, v]) => {
    if (k === 'prefix') return s.startsWith(v);
    if (k === 'suffix') return s.endsWith(v);
    if (k === 'contains') return (Array.isArray(v) ? v : [v]).every((p) => s.includes(p));
    return false;
  });
}

function strings(v, out = []) {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

function pointer(v, p) {
  for (const part of p.split('/').slice(1)) v = v == null ? undefined : v[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

/** Every way `decision` (a decision as JSON or as the JS object of the wasm module) differs from `c`. */
export function compare(c, decision) {
  const out = [];
  for (const [slot, want] of Object.entries(c.expect)) {
    const got = decision?.slots?.[slot];
    if (!got) { out.push(`slot \`${slot}\`: not in the decision`); continue; }
    // `raw`: `w` is a description, not a value.
    const diff = (what, w, g, raw = false) => out.push(`slot \`${slot}\` ${what}: expected ${raw ? w : show(w)}, got ${show(g)}`);
    const explain = got.explain;
    for (const [key, w] of Object.entries(want)) {
      switch (key) {
        case 'variant': case 'reason':
          if (!same(w, got[key])) diff(key, w, got[key]);
          break;
        case 'default':
          if (!same(w, got.is_default)) diff('default', w, got.is_default);
          break;
        case 'vars':
          if (w === null) {
            if (got.vars && Object.keys(got.vars).length) diff('vars', 'none', got.vars, true);
          } else {
            for (const [name, value] of Object.entries(w)) if (!same(value, got.vars?.[name])) diff(`var \`${name}\``, value, got.vars?.[name]);
          }
          break;
        case 'content': {
          const at = subsetDiff(w, got.content ?? null);
          if (at !== null) diff(`content${at}`, pointer(w, at), pointer(got.content ?? null, at));
          break;
        }
        case 'content_matches':
          for (const [p, m] of Object.entries(w)) {
            const value = pointer(got.content, p);
            if (!textMatches(m, value)) diff(`content ${p}`, m, value);
          }
          break;
        case 'explain': {
          const texts = strings(explain);
          for (const fragment of w) {
            const options = typeof fragment === 'string' ? [fragment] : fragment.any_of;
            if (!options.some((f) => texts.some((t) => t.includes(f)))) diff('explanation', `a text containing ${show(fragment)}`, explain, true);
          }
          break;
        }
        case 'summary':
          if (!textMatches(w, explain?.summary)) diff('summary', w, explain?.summary);
          break;
        case 'candidate_order': {
          const order = (explain?.candidates ?? []).map((x) => x.variant);
          if (!same(w, order)) diff('candidate order', w, order);
          break;
        }
        case 'candidates':
          for (const [variant, cw] of Object.entries(w)) {
            const cand = (explain?.candidates ?? []).find((x) => x.variant === variant);
            if (!cand) { diff(`candidate \`${variant}\``, 'an explained candidate', explain?.candidates, true); continue; }
            for (const [field, fw] of Object.entries(cw)) {
              const fg = cand[field];
              let ok;
              if (['eligible', 'priority', 'score'].includes(field)) ok = same(fw, fg);
              else if (field === 'missing') ok = same(fw, fg) || (Array.isArray(fw) && fw.length === 0 && fg == null);
              else if (field === 'failed' || field === 'excluded') ok = fw === null ? fg == null : textMatches(fw, fg);
              else { out.push(`slot \`${slot}\` candidate \`${variant}\`: unknown expectation key \`${field}\``); continue; }
              if (!ok) diff(`candidate \`${variant}\` ${field}`, fw, fg);
            }
          }
          break;
        default:
          out.push(`slot \`${slot}\`: unknown expectation key \`${key}\``);
      }
    }
  }
  for (const [key, want] of Object.entries(c.expect_decision ?? {})) {
    if (['consent', 'holdout', 'missing'].includes(key)) {
      if (!same(want, decision[key])) out.push(`decision ${key}: expected ${show(want)}, got ${show(decision[key])}`);
    } else if (key === 'missing_includes') {
      for (const m of want) {
        if (!(decision.missing ?? []).some((e) => textMatches(m, e))) out.push(`decision missing: expected an entry matching ${show(m)}, got ${show(decision.missing)}`);
      }
    } else out.push(`expect_decision: unknown key \`${key}\``);
  }
  return out;
}

/** Runs `decide(case) → decision` over one file's cases; returns mismatch lines `file › case: what`. */
export async function runFile({ file, doc }, decide) {
  const failures = [];
  const names = new Set();
  for (const c of doc.cases) {
    if (names.has(c.name)) failures.push(`${file} › ${c.name}: two cases with this name`);
    names.add(c.name);
    let problems;
    try {
      problems = compare(c, await decide(c));
    } catch (e) {
      problems = [`decide failed: ${e.code ?? ''} ${e.message ?? e}`];
    }
    for (const p of problems) failures.push(`${file} › ${c.name}: ${p}`);
  }
  return failures;
}

/**
 * Problems with one case decided three ways (`decide(context)`, a resident visitor told the
 * events one by one, and that visitor saved and restored): each against the expected values,
 * and the two visitors against the context's decision byte for byte.
 */
export function compareEveryWay(c, { decision, tracked, restored, error }) {
  if (error) return [`decide failed: ${error}`];
  const problems = compare(c, decision);
  for (const [how, d] of [['visitor', tracked], ['restored visitor', restored]]) {
    problems.push(...compare(c, d).map((p) => `${how}: ${p}`));
    if (JSON.stringify(d) !== JSON.stringify(decision)) problems.push(`${how} differs from decide(context)`);
  }
  return problems;
}
