// Decision latency of the wasm module under Node: p50/p99 per decision.
// Run: bash benches/wasm-node.sh
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const kairos = require('../pkg/node/kairos.js');
const dir = new URL('../target/bench-inputs/', import.meta.url);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function measure(label, fn, iterations) {
  for (let i = 0; i < Math.min(200, iterations); i++) fn(); // warm-up
  const times = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    fn();
    times[i] = performance.now() - t0;
  }
  const sorted = Array.from(times).sort((a, b) => a - b);
  const us = (ms) => (ms * 1000).toFixed(1).padStart(8);
  console.log(`${label.padEnd(52)} p50 ${us(percentile(sorted, 0.5))} µs  p99 ${us(percentile(sorted, 0.99))} µs`);
}

const bundle = readFileSync(new URL('bundle.bin', dir));
const t0 = performance.now();
const engine = kairos.Kairos.load(bundle);
console.log(`load compiled bundle (${bundle.length} bytes): ${((performance.now() - t0) * 1000).toFixed(0)} µs (first call)`);
measure('load compiled bundle', () => kairos.Kairos.load(bundle).free(), 300);
for (const events of [20, 1000]) {
  const ctx = JSON.parse(readFileSync(new URL(`context-${events}.json`, dir), 'utf8'));
  measure(`decide, 200 rules / 20 slots / ${events} events`, () => engine.decide(ctx, false), 2000);
}
