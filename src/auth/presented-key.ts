// Where a request carries its SpendGuard key: `x-api-key` (what the seed's CLI sends),
// `Authorization: Bearer`, or `x-goog-api-key` (the Gemini SDK's header).
import { ApiError } from '../common/errors/api-error';

export type RequestHeaders = Record<string, string | string[] | undefined>;

export function presentedKey(headers: RequestHeaders): string | undefined {
  const candidates: (string | string[] | undefined)[] = [headers['x-api-key'], headers['x-goog-api-key']];
  const authorization = headers['authorization'];
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    candidates.unshift(match ? match[1] : authorization);
  }
  for (const c of candidates) {
    if (Array.isArray(c)) throw new ApiError('invalid_api_key', 'send one API key, once');
    if (typeof c === 'string' && c.trim() !== '') return c.trim();
  }
  return undefined;
}
