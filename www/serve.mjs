// A tiny static server for the demo shop, the playground and the browser tests.
// Serves www/ at /, compiled bundles from target/www-bundles/ at /bundles/, and
// (for tests) failure injections: /stall/* never answers, /missing/* is 404.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, extname, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.bin': 'application/octet-stream', '.css': 'text/css', '.svg': 'image/svg+xml', '.ts': 'text/plain', '.kairos': 'text/plain; charset=utf-8' };

async function file(res, path) {
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a file');
    const body = await readFile(path);
    res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch (_) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
}

export function startServer(port = 0) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
    if (path.startsWith('/stall/')) return; // never answers: the anti-flicker timeout must win
    if (path.startsWith('/missing/')) { res.writeHead(404); res.end(); return; }
    if (path.startsWith('/bundles/')) return file(res, join(root, 'target', 'www-bundles', path.slice('/bundles/'.length)));
    if (path.startsWith('/examples/')) return file(res, join(root, path));
    return file(res, join(root, 'www', path === '/' ? 'shop.html' : path));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT || 8080);
  startServer(port).then(() => console.log(`kairos demo: http://127.0.0.1:${port}/  (playground: /playground.html)`));
}
