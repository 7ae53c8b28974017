import { existsSync, rmSync } from 'node:fs';
import { App, AppConfig } from 'cdktf';
import { ValidationError } from './validation';

/** Where `synthesize` reports: standard error by default. */
export interface SynthesizeOptions extends AppConfig {
  /** Receives the message of a ValidationError. @default - written to process.stderr */
  readonly report?: (message: string) => void;
}

/**
 * Builds and synthesizes a cdktf App the way this kit's own main.ts does, for a consumer's `main.ts`:
 * `process.exitCode = synthesize((app) => { new MyStack(app, 'my-stack'); });`
 *
 * A ValidationError, thrown by any construct of this library or by `build` itself, becomes one message listing every
 * problem, with no stack trace, and the return value 1; an output directory this run created is removed, so nothing
 * half-written remains. Any other error is a bug and propagates with its stack trace. Returns 0 after a synth.
 */
export function synthesize(build: (app: App) => void, options: SynthesizeOptions = {}): number {
  const { report = (message: string) => process.stderr.write(`${message}\n`), ...appConfig } = options;
  // new App() creates the output directory; if this run created it and then fails, nothing of it may remain.
  const outdir = appConfig.outdir ?? process.env.CDKTF_OUTDIR ?? 'cdktf.out';
  const outdirExisted = existsSync(outdir);
  try {
    const app = new App({ stackTraces: false, ...appConfig, outdir });
    build(app);
    app.synth();
    return 0;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    report(error.message);
    return 1;
  }
}
