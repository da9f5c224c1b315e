import type { EvaluationContext, JsonValue, Provider, ResolutionDetails, OpenFeatureEventEmitter } from '@openfeature/server-sdk';
import type { Kairos } from 'kairos-engine';
import type { BundleSource, KairosProviderOptions } from './mapping.js';

export { toKairosContext, REASONS, type BundleSource, type KairosProviderOptions } from './mapping.js';

/** Each slot of the bundle as a flag: its content the value, its variant id the variant (docs/openfeature.md). */
export declare class KairosProvider implements Provider {
  constructor(options?: KairosProviderOptions);
  readonly metadata: { readonly name: 'kairos' };
  readonly runsOn: 'server';
  readonly events: OpenFeatureEventEmitter;
  readonly hooks: [];
  /** The engine in use (null before initialize). */
  readonly engine: Kairos | null;
  initialize(context?: EvaluationContext): Promise<void>;
  /** A new bundle: CONFIGURATION_CHANGED; one that does not load: ERROR, and the current one stays. */
  setBundle(bundle: BundleSource): Promise<void>;
  onClose(): Promise<void>;
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>>;
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>>;
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>>;
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>>;
}

