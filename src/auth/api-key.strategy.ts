// The passport strategy: a SpendGuard key from `x-api-key` (what the seed's CLI sends),
// `Authorization: Bearer`, or `x-goog-api-key` (the Gemini SDK's header).
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { ApiError } from '../common/errors/api-error';
import { ApiKeyAuthService } from './api-key-auth.service';
import { AuthContext } from './auth-context';

type Headers = Record<string, string | string[] | undefined>;

export function presentedKey(headers: Headers): string | undefined {
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

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly keys: ApiKeyAuthService) {
    super();
  }

  async validate(request: { headers: Headers }): Promise<AuthContext> {
    const anonymous = this.keys.anonymous();
    if (anonymous) return anonymous;
    const secret = presentedKey(request.headers);
    if (!secret) {
      throw new ApiError('unauthenticated', 'an API key is required: send it in x-api-key or Authorization: Bearer');
    }
    const auth = await this.keys.authenticate(secret);
    if (!auth) throw new ApiError('invalid_api_key', 'the API key is not valid or has been revoked');
    return auth;
  }
}
