// Types for the kairos page runtime (www/kairos.mjs). The wasm core's own types are in pkg/kairos.d.ts.

// Decisions as the wasm core returns them: generated from the Rust side (crates/kairos-wasm/tests/types.rs).
import type { Decision } from './pkg/kairos.js';
export type { Decision, SlotDecision, SlotExplain, Candidate, Reason, Eligibility, ErrorCode, KairosError } from './pkg/kairos.js';

export interface KairosOptions {
  /** URL of the compiled bundle (`kairos compile` output). */
  bundleUrl: string;
  /** URL of kairos_bg.wasm (default: next to the runtime). */
  wasmUrl?: string;
  /** Requests already started (the tag starts them before the runtime arrives): the bundle's
   *  response and the wasm compiled while streaming (or its response). If the wasm one fails, the
   *  runtime fetches `wasmUrl` itself. */
  early?: { bundle?: Promise<Response>; wasm?: Promise<WebAssembly.Module | Response> };
  /** A collector: every decided slot's exposure (schema/exposure.schema.json) is sent here in
   *  batches `{batch, sentAt}` with navigator.sendBeacon, with consent only (docs/measurement.md). */
  beacon?: string;
  /** Ed25519 public key (64 hex digits, `kairos keygen`): only a bundle signed by it is used;
   *  otherwise every slot keeps its default (docs/signing.md). Tag attribute: `data-public-key`. */
  publicKey?: string;
  /** SHA-256 (64 hex digits) of the `?kairos_debug=` value that opens the debug overlay without a preview (docs/preview.md). */
  debugKey?: string;
  /** Where the debug overlay module is, when a bundler moved it (default: kairos-debug.mjs beside the runtime). */
  debugUrl?: string;
  /** Give up loading after this many ms and keep the defaults (default 2000). */
  timeoutMs?: number;
  /** Cached scores known to the page: { name: { value, computed_at } }. */
  scores?: Record<string, { value: number; computed_at: number | string }>;
  geo?: { country?: string; region?: string; city?: string; lat?: number; lon?: number };
}

export interface KairosApi {
  /** Resolves when the engine is loaded (or has failed and defaults stay). */
  ready: Promise<KairosApi>;
  track(event: string, properties?: Record<string, string | number | boolean | null>): Decision | null;
  page(name?: string, properties?: Record<string, string | number | boolean | null>): Decision | null;
  identify(id: string, traits?: Record<string, string | number | boolean | null>): Decision | null;
  consent(flags: { personalization: boolean }): Decision | null;
  /** Decides now, with explanations. */
  decide(explain?: boolean): Decision | null;
  onDecision(listener: (d: Decision) => void): void;
  readonly lastContext: object | null;
  readonly lastDecision: Decision | null;
}

export function createKairos(options: KairosOptions): KairosApi;
export function boundHistory<T>(events: T[], maxEvents?: number, maxBytes?: number): T[];

declare global {
  interface Window { kairos: KairosApi }
}
