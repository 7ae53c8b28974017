'use strict';
/**
 * Container entry point: listens on $PORT (default 8080, the chart's containerPort) and shuts down
 * gracefully on SIGTERM/SIGINT: /readyz fails at once, connections drain for $SHUTDOWN_DELAY_MS
 * (default 5000), in-flight requests finish, then the process exits 0. A hard deadline
 * ($SHUTDOWN_TIMEOUT_MS, default 20000) stays below Kubernetes' 30 s termination grace period.
 */
const { start } = require('./server');

const log = (message, fields = {}) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), message, ...fields })}\n`);

function intFromEnv(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    log(`invalid ${name}`, { value: raw, allowed: `${min}-${max}` });
    process.exit(2);
  }
  return value;
}

async function main() {
  const port = intFromEnv('PORT', 8080, 0, 65535);
  const drainMs = intFromEnv('SHUTDOWN_DELAY_MS', 5000, 0, 60000);
  const timeoutMs = intFromEnv('SHUTDOWN_TIMEOUT_MS', 20000, 1000, 120000);
  const app = await start({ port });
  log('listening', { port: app.port, version: process.env.APP_VERSION ?? 'unknown' });

  let stopping = false;
  const shutdown = (signal) => {
    if (stopping) return;
    stopping = true;
    log('shutting down', { signal });
    setTimeout(() => {
      log('shutdown timed out, exiting');
      process.exit(1);
    }, timeoutMs).unref();
    app.stop(drainMs).then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (error) => {
        log('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error) => {
  log('failed to start', { error: String(error) });
  process.exit(1);
});
