/**
 * Optional access control for `/ws` and the REST endpoints: static bearer tokens (AUTH_TOKENS)
 * and/or HS256 JWTs (AUTH_JWT_SECRET, verified by `jose`, `exp` honoured). A token comes from
 * `Authorization: Bearer …` or, for browsers that cannot set headers on a WebSocket, `?token=`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { jwtVerify, errors as joseErrors } from 'jose';
import type { AuthConfig } from '../config.js';

export type AuthResult =
  | { readonly ok: true; /** Epoch ms after which the token is no longer valid. */ readonly expiresAt: number | undefined }
  | { readonly ok: false; readonly reason: string };

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Token from the Authorization header or the `token` query parameter. */
export function tokenFrom(headers: IncomingMessage['headers'], url: string | undefined): string | undefined {
  const header = headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] !== undefined) return match[1];
  }
  if (url !== undefined && url.includes('token=')) {
    const token = new URL(url, 'http://localhost').searchParams.get('token');
    if (token !== null && token !== '') return token;
  }
  return undefined;
}

/** Removes `token=` values from a URL before it is logged. */
export function redactTokenParam(url: string): string {
  return url.replace(/([?&]token=)[^&]*/gi, '$1REDACTED');
}

export class Authenticator {
  private readonly tokenDigests: readonly Buffer[];
  private readonly jwtKey: Uint8Array | undefined;

  constructor(config: AuthConfig) {
    // Compare digests so every comparison takes the same time whatever the token's length.
    this.tokenDigests = config.tokens.map(digest);
    this.jwtKey = config.jwtSecret === undefined ? undefined : new TextEncoder().encode(config.jwtSecret);
  }

  /** Access control is on when any token or a JWT secret is configured. */
  get enabled(): boolean {
    return this.tokenDigests.length > 0 || this.jwtKey !== undefined;
  }

  async verify(token: string | undefined): Promise<AuthResult> {
    if (!this.enabled) return { ok: true, expiresAt: undefined };
    if (token === undefined) return { ok: false, reason: 'missing bearer token' };
    const candidate = digest(token);
    if (this.tokenDigests.some((known) => timingSafeEqual(known, candidate))) return { ok: true, expiresAt: undefined };
    if (this.jwtKey !== undefined && token.split('.').length === 3) {
      try {
        const { payload } = await jwtVerify(token, this.jwtKey, { algorithms: ['HS256'] });
        return { ok: true, expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined };
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'token expired' };
        return { ok: false, reason: 'invalid token' };
      }
    }
    return { ok: false, reason: 'invalid token' };
  }
}

/** Checks a token against one expected value (METRICS_TOKEN) in constant time. */
export function matchesToken(token: string | undefined, expected: string): boolean {
  return token !== undefined && timingSafeEqual(digest(token), digest(expected));
}
