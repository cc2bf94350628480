import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { findInputProblem, type InputProblem } from '../input.ts';
import { AppError, ERRORS } from './errors.ts';

/**
 * The zod validator of every route's params, querystring, headers and body, with what no schema has to
 * repeat: text with a NUL character or a lone surrogate is refused before the schema runs (PostgreSQL
 * cannot store the one, the other is not Unicode), so is nesting deeper than MAX_INPUT_DEPTH, and a date
 * the schema accepted must lie within 1900–9999. Each answers 400 naming the field, like the schema's own
 * errors.
 */
export const checkedValidatorCompiler: FastifySchemaCompiler<unknown> = (route) => {
  const validate = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
  const refuse = (problem: InputProblem) => ({ error: inputError(route.httpPart ?? 'body', problem) });
  return (data: unknown) => {
    const text = findInputProblem(data);
    if (text) return refuse(text);
    const result = validate(data) as { value?: unknown; error?: Error };
    if (result.error) return result;
    const date = findInputProblem(result.value, { dates: true });
    return date ? refuse(date) : result;
  };
};

function inputError(part: string, problem: InputProblem): AppError {
  const where = [part, ...problem.path].join('.');
  return new AppError('bad_request', {
    zh: `${ERRORS.bad_request.zh}: ${where}: ${problem.message.zh}`,
    en: `${ERRORS.bad_request.en}: ${where}: ${problem.message.en}`,
  });
}
