/** What `createWorker` takes. */
export interface WorkerOptions {
  /** String vars added to (or overriding) `env`'s: `ORIGIN`, `TRACK`, … (docs/edge.md). */
  vars?: Record<string, string>;
}

/** The Worker's execution context, as far as kairos uses it. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** A module Worker's default export. */
export interface KairosWorker {
  fetch(request: Request, env: object, ctx: WorkerContext): Promise<Response>;
}

/** The kairos edge Worker, configured from `env` (vars, secrets, the `KAIROS` KV binding). */
export function createWorker(options?: WorkerOptions): KairosWorker;

/** `createWorker()`: deploy as it is with `export { default } from 'kairos-engine/worker'`. */
declare const worker: KairosWorker;
export default worker;
