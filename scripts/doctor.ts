// npm run doctor: checks the configuration for shipped placeholders and this machine for what a deploy needs, one
// line per check; exits 1 when anything blocks a deploy. The checks live in stacks/doctor.ts.
import { doctor, systemEnvironment } from '../stacks/doctor';
import { config } from '../stacks/environments';

const { lines, exitCode } = doctor(config, systemEnvironment());
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = exitCode;
