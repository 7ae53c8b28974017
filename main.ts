import { synthesize } from './constructs/synthesize';
import { ValidationError } from './constructs/validation';
import { config } from './stacks/environments';
import { buildStacks } from './stacks/app';
import { placeholderWarning } from './stacks/doctor';
import { auditPolicy } from './stacks/policy-report';
import { validateConfig } from './stacks/validate-config';

/**
 * Validates the whole configuration, builds every stack, checks them against the security policy, then
 * synthesizes. Invalid configuration, construct props or policy violations exit 1 with one message listing
 * every problem: no stack trace, no cdktf.out written. Policy waivers are printed on every run;
 * while shipped placeholders remain, one warning line (stderr) points to `npm run doctor`.
 */
// tsx turns on source maps; then every token cdktf creates captures a stack trace that Node maps through the
// inline source maps of cdktf's own modules. Off, synthesis is about 10% faster; only the line numbers of an
// unexpected crash's trace change, and validation errors carry no trace at all.
process.setSourceMapsEnabled(false);

process.exitCode = synthesize((app) => {
  const problems = validateConfig(config);
  if (problems.length > 0) throw new ValidationError('configuration (stacks/environments.ts)', problems);
  const report = auditPolicy(buildStacks(app, config), config);
  for (const line of report.waived) process.stdout.write(`policy waiver: ${line}\n`);
  if (report.problems.length > 0) throw new ValidationError('security policy (constructs/policy.ts)', report.problems);
  const warning = placeholderWarning(config);
  if (warning !== undefined) process.stderr.write(`${warning}\n`);
});
