import type { EvaluationContext, JsonValue, Provider, ResolutionDetails, OpenFeatureEventEmitter } from '@openfeature/web-sdk';
import type { Kairos } from 'kairos-engine';
import type { BundleSource, KairosProviderOptions } from './mapping.js';

export { toKairosContext, REASONS, type BundleSource, type KairosProviderOptions } from './mapping.js';

/** Each slot of the bundle as a flag, for the static context of a page: its content the value, its variant id the variant (docs/openfeature.md). */
export declare class KairosWebProvider implements Provider {
  constructor(options?: KairosProviderOptions);
  readonly metadata: { readonly name: 'kairos' };
  readonly runsOn: 'client';
  readonly events: OpenFeatureEventEmitter;
  readonly hooks: [];
  /** The engine in use (null before initialize). */
  readonly engine: Kairos | null;
  initialize(context?: EvaluationContext): Promise<void>;
  onContextChange(oldContext: EvaluationContext, newContext: EvaluationContext): void;
  /** A new bundle: CONFIGURATION_CHANGED; one that does not load: ERROR, and the current one stays. */
  setBundle(bundle: BundleSource): Promise<void>;
  onClose(): Promise<void>;
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): ResolutionDetails<boolean>;
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): ResolutionDetails<string>;
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): ResolutionDetails<number>;
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): ResolutionDetails<T>;
}

