// Worker entry of this repository's wrangler.toml: the handler with the configuration of `env`.
export { default } from './handler.mjs';
