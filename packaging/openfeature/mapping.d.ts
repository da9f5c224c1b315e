import type { EvaluationContext } from '@openfeature/core';
import type { Kairos, Reason } from 'kairos-engine';

/** The compiled bundle's bytes, or a function returning them (a fetch, a KV read). */
export type BundleSource = Uint8Array | (() => Uint8Array | Promise<Uint8Array>);

export interface KairosProviderOptions {
  bundle?: BundleSource;
  /** An engine already loaded, instead of `bundle`. */
  engine?: Kairos;
  /** In the browser: the module's `.wasm` (a URL, e.g. `import wasm from 'kairos-engine/wasm'`), instantiated before the bundle loads. */
  wasm?: string | URL;
}

/** An evaluation context as the kairos context it is decided with (docs/openfeature.md). */
export declare function toKairosContext(context?: EvaluationContext, nowMs?: number): Record<string, unknown>;
/** kairos reasons → OpenFeature reasons: every reason the engine gives (its generated `Reason`). */
export declare const REASONS: Readonly<Record<Reason, string>>;
