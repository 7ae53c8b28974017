import type { Server } from 'node:http';

/** Readiness flag behind /readyz. */
export interface AppState {
  ready: boolean;
}

export interface StartedApp {
  readonly server: Server;
  readonly state: AppState;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Fails readiness at once, refuses new connections after `drainMs` (default 0), lets in-flight requests finish. */
  stop(drainMs?: number): Promise<void>;
}

export const NAME: string;

/** The app's HTTP server, not listening yet. @default version - env APP_VERSION, else "unknown" */
export function createServer(options?: { version?: string }): { server: Server; state: AppState };

/** Listens (port default: env PORT, else 8080) and resolves once ready. */
export function start(options?: { port?: number; host?: string; version?: string }): Promise<StartedApp>;
