// A React page whose hero and call to action come from kairos through OpenFeature's React SDK:
// each slot is a flag, read with `useObjectFlagDetails`. The page's context (who, consent, what
// they viewed) is OpenFeature's static context; changing it re-renders with the new decision.
// Built by esbuild in tests/package/package.test.mjs and run in Chromium (docs/openfeature.md).
import React from 'react';
import { createRoot } from 'react-dom/client';
import { OpenFeature, OpenFeatureProvider, useObjectFlagDetails } from '@openfeature/react-sdk';
import { KairosWebProvider } from 'kairos-engine/openfeature/web';
import wasm from 'kairos-engine/wasm';

const NOW = '2026-11-23T17:30:00Z';
const visitor = { targetingKey: 'cust-42', now: NOW, timezone: 'Europe/Paris', consent: { personalization: true } };

function Hero() {
  const hero = useObjectFlagDetails('hero', { html: '<h2>Welcome</h2>' });
  // kairos escapes every value it puts into content (docs/rules.md): the bundle's own markup.
  return <section id="hero" data-variant={hero.variant} data-reason={hero.reason} dangerouslySetInnerHTML={{ __html: hero.value.html }} />;
}

function CallToAction() {
  const cta = useObjectFlagDetails('cta', { text: 'Shop', attrs: { href: '/' } });
  return <a id="cta" data-variant={cta.variant} href={cta.value.attrs?.href}>{cta.value.text}</a>;
}

function Shop() {
  const browse = () => OpenFeature.setContext({ ...visitor, session: { product_views: [{ id: 'sku-77', category: 'running' }] } });
  return (
    <main>
      <Hero />
      <CallToAction />
      <button id="browse" onClick={browse}>Look at running shoes</button>
    </main>
  );
}

const bundle = async () => new Uint8Array(await (await fetch('/bundle.bin')).arrayBuffer());
OpenFeature.setProvider(new KairosWebProvider({ bundle, wasm }), visitor);
createRoot(document.getElementById('root')).render(
  <OpenFeatureProvider suspendUntilReady={false}>
    <Shop />
  </OpenFeatureProvider>,
);
