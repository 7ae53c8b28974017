import { Problem, ValidationError } from '../constructs/validation';

/** Problems as the lines a ValidationError shows them (`field: message`), for assertions on their text. */
export function lines(problems: readonly Problem[]): string[] {
  return problems.map(ValidationError.format);
}
