// What the server and web providers share: the engine, its bundle, and the provider events.
import { ProviderFatalError } from '@openfeature/core';
import { decide, loadEngine, resolveFrom } from './mapping.mjs';

export class KairosProviderBase {
  #engine = null;
  #options;

  constructor(options = {}, events, ProviderEvents) {
    this.#options = options;
    this.events = events;
    this.ProviderEvents = ProviderEvents;
    this.metadata = { name: 'kairos' };
    this.hooks = [];
    if (options.engine) this.#engine = options.engine;
  }

  async #kairos() {
    if (this.#options.Kairos) return this.#options.Kairos;
    const kairos = await import('kairos-engine');
    // The browser build must be instantiated first: with `wasm` (its URL, e.g. from
    // `kairos-engine/wasm`), the provider does it; without, the app has called `init` itself.
    if (this.#options.wasm !== undefined && typeof kairos.default === 'function') {
      await kairos.default({ module_or_path: this.#options.wasm });
    }
    return kairos.Kairos;
  }

  /** Loads the bundle: a bundle that cannot load is fatal (spec 2.4.2.1). */
  async initialize() {
    if (this.#engine) return;
    if (!this.#options.bundle) throw new ProviderFatalError('kairos: give `bundle` (bytes, or a function returning them) or `engine`');
    try {
      this.#engine = await loadEngine(await this.#kairos(), this.#options.bundle);
    } catch (e) {
      throw new ProviderFatalError(`kairos: the bundle did not load: ${e.code ? `${e.code}: ` : ''}${e.message}`);
    }
  }

  /**
   * Swaps in a new bundle: CONFIGURATION_CHANGED with every slot as changed. A bundle that does
   * not load emits ERROR and leaves the current one in use.
   */
  async setBundle(bundle) {
    try {
      const engine = await loadEngine(await this.#kairos(), bundle);
      this.#engine = engine;
      this.events.emit(this.ProviderEvents.ConfigurationChanged, {
        flagsChanged: engine.slotNames(),
        metadata: { bundleId: engine.bundleId ?? '' },
      });
    } catch (e) {
      this.events.emit(this.ProviderEvents.Error, {
        message: `kairos: the new bundle did not load (the previous one stays): ${e.code ? `${e.code}: ` : ''}${e.message}`,
        errorCode: 'PARSE_ERROR',
      });
    }
  }

  /** The engine in use (null before `initialize`). */
  get engine() {
    return this.#engine;
  }

  resolve(flagKey, context, expected) {
    const decision = this.decision(context);
    return resolveFrom(decision, this.#engine.bundleId, flagKey, expected);
  }

  decision(context) {
    return decide(this.#engine, context);
  }

  async onClose() {
    this.#engine?.free?.();
    this.#engine = null;
  }
}
