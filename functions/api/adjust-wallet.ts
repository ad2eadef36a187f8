/** Placeholder until this route lands (contract v1.1); answers 403 so nothing moves. */
import { httpHandler } from '../commons/http.ts';
import { DomainError } from '../../src/domain/errors.ts';

export const handler = httpHandler(async () => {
  throw new DomainError('FORBIDDEN', 'Not available yet');
});
