// `kairos-engine/wasm` is an asset: a bundler that emits it (esbuild's `file` loader, Vite's
// `?url`) gives its URL, for `init({ module_or_path: url })`.
declare const url: string;
export default url;
