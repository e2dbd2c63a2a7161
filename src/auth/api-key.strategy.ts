// The passport strategy of the admin routes: what ApiKeyAuthService makes of the request's headers.
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { ApiKeyAuthService } from './api-key-auth.service';
import { AuthContext } from './auth-context';
import { RequestHeaders } from './presented-key';

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly keys: ApiKeyAuthService) {
    super();
  }

  validate(request: { headers: RequestHeaders; ip?: string }): Promise<AuthContext> {
    return this.keys.authenticateRequest(request.headers, request.ip);
  }
}
