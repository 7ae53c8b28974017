'use strict';
/**
 * The sample application: a tiny HTTP service with no dependencies.
 *
 *   GET /healthz  200 while the process runs (liveness)
 *   GET /readyz   200 once listening, 503 while starting or shutting down (readiness)
 *   GET /         200 {"name":"ai-app","version":"<APP_VERSION>"}
 *   anything else 404; other methods on the known paths 405
 *
 * `createServer` builds the server without listening; `start` listens and resolves once ready;
 * `main.js` wires environment variables and signals for the container.
 */
const http = require('node:http');

const NAME = 'ai-app';
const ROUTES = new Set(['/', '/healthz', '/readyz']);

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {Record<string, unknown>} body
 * @param {boolean} head
 */
function send(res, status, body, head) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(head ? undefined : payload);
}

/**
 * An HTTP server for the app, not yet listening. `state.ready` drives /readyz.
 * @param {{ version?: string }} [options]
 */
function createServer(options = {}) {
  const version = options.version ?? process.env.APP_VERSION ?? 'unknown';
  const state = { ready: false };
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (!ROUTES.has(pathname)) return send(res, 404, { error: 'not found' }, req.method === 'HEAD');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, { error: 'method not allowed' }, false);
    }
    const head = req.method === 'HEAD';
    if (pathname === '/healthz') return send(res, 200, { status: 'ok' }, head);
    if (pathname === '/readyz') return state.ready ? send(res, 200, { status: 'ready' }, head) : send(res, 503, { status: 'not ready' }, head);
    return send(res, 200, { name: NAME, version }, head);
  });
  // Keep-alive longer than the usual load balancer idle timeout, so the proxy closes idle connections first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return { server, state };
}

/**
 * Starts listening and resolves once the app is ready.
 * @param {{ port?: number, host?: string, version?: string }} [options]
 */
function start(options = {}) {
  const { server, state } = createServer({ version: options.version });
  const port = options.port ?? Number(process.env.PORT ?? 8080);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host, () => {
      server.off('error', reject);
      state.ready = true;
      const address = server.address();
      resolve({
        server,
        state,
        port: typeof address === 'object' && address !== null ? address.port : port,
        /** Graceful stop: readiness fails at once, new connections are refused after `drainMs`, in-flight requests finish. */
        stop: (drainMs = 0) => stop(server, state, drainMs),
      });
    });
  });
}

/**
 * @param {http.Server} server
 * @param {{ ready: boolean }} state
 * @param {number} drainMs
 * @returns {Promise<void>}
 */
function stop(server, state, drainMs) {
  state.ready = false;
  return new Promise((resolve, reject) => {
    // Give the endpoints controller time to take the pod out of the Service before refusing connections.
    setTimeout(() => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeIdleConnections();
    }, drainMs).unref();
  });
}

module.exports = { createServer, start, NAME };
