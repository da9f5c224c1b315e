// An OpenFeature provider for @openfeature/web-sdk (static context): each slot of a kairos
// bundle is a flag. The page's context is decided once per context change; evaluations read that
// decision synchronously (docs/openfeature.md).
//
//   import { OpenFeature } from '@openfeature/web-sdk';
//   import { KairosWebProvider } from 'kairos-engine/openfeature/web';
//   const bundle = async () => new Uint8Array(await (await fetch('/kairos/bundle.bin')).arrayBuffer());
//   await OpenFeature.setProviderAndWait(new KairosWebProvider({ bundle }), { targetingKey: 'cust-42' });
//   const hero = OpenFeature.getClient().getObjectDetails('hero', {});
import { OpenFeatureEventEmitter, ProviderEvents } from '@openfeature/web-sdk';
import { KairosProviderBase } from './provider.mjs';

export { toKairosContext, REASONS } from './mapping.mjs';

export class KairosWebProvider extends KairosProviderBase {
  runsOn = 'client';
  #decided = null; // { engine, decision }: until the context or the bundle changes

  constructor(options = {}) {
    super(options, new OpenFeatureEventEmitter(), ProviderEvents);
  }

  // In the static-context paradigm the context changes only through `onContextChange` (the SDK
  // hands each evaluation a fresh copy of it): decide once per context, or per bundle.
  decision(context) {
    if (this.#decided && this.#decided.engine === this.engine) return this.#decided.decision;
    const decision = super.decision(context);
    this.#decided = { engine: this.engine, decision };
    return decision;
  }

  onContextChange() {
    this.#decided = null;
  }

  resolveBooleanEvaluation(flagKey, _defaultValue, context) {
    return this.resolve(flagKey, context, 'boolean');
  }
  resolveStringEvaluation(flagKey, _defaultValue, context) {
    return this.resolve(flagKey, context, 'string');
  }
  resolveNumberEvaluation(flagKey, _defaultValue, context) {
    return this.resolve(flagKey, context, 'number');
  }
  resolveObjectEvaluation(flagKey, _defaultValue, context) {
    return this.resolve(flagKey, context, 'object');
  }
}
