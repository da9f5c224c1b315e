// An OpenFeature provider for @openfeature/server-sdk: each slot of a kairos bundle is a flag,
// decided in-process per evaluation context (docs/openfeature.md).
//
//   import { OpenFeature } from '@openfeature/server-sdk';
//   import { KairosProvider } from 'kairos-engine/openfeature/server';
//   await OpenFeature.setProviderAndWait(new KairosProvider({ bundle: readFileSync('bundle.bin') }));
//   const hero = await OpenFeature.getClient().getObjectDetails('hero', {}, { targetingKey: 'cust-42' });
import { OpenFeatureEventEmitter, ProviderEvents } from '@openfeature/server-sdk';
import { KairosProviderBase } from './provider.mjs';

export { toKairosContext, REASONS } from './mapping.mjs';

export class KairosProvider extends KairosProviderBase {
  runsOn = 'server';

  constructor(options = {}) {
    super(options, new OpenFeatureEventEmitter(), ProviderEvents);
  }

  async resolveBooleanEvaluation(flagKey, _defaultValue, context) {
    return this.resolve(flagKey, context, 'boolean');
  }
  async resolveStringEvaluation(flagKey, _defaultValue, context) {
    return this.resolve(flagKey, context, 'string');
  }
  async resolveNumberEvaluation(flagKey, _defaultValue, context) {
    return this.resolve(flagKey, context, 'number');
  }
  async resolveObjectEvaluation(flagKey, _defaultValue, context) {
    return this.resolve(flagKey, context, 'object');
  }
}
