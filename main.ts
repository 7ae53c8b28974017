import { App } from 'cdktf';
import { ValidationError } from './constructs/validation';
import { config } from './stacks/environments';
import { buildStacks } from './stacks/app';
import { validateConfig } from './stacks/validate-config';

/**
 * Validates the whole configuration, then builds and synthesizes every stack. Invalid configuration or
 * construct props exit 1 with one message listing every problem: no stack trace, no cdktf.out written.
 */
function main(): number {
  try {
    const problems = validateConfig(config);
    if (problems.length > 0) throw new ValidationError('configuration (stacks/environments.ts)', problems);
    const app = new App();
    buildStacks(app, config);
    app.synth();
    return 0;
  } catch (error) {
    if (error instanceof ValidationError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = main();
