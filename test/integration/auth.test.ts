/**
 * Access control: static tokens (AUTH_TOKENS) and HS256 JWTs (AUTH_JWT_SECRET) on /ws and the REST
 * endpoints, refused with 401 before the upgrade; /health and /metrics stay open unless
 * METRICS_TOKEN is set; a JWT that expires while connected closes the socket with 4401.
 */
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, HttpErrorCode } from '../../src/domain/protocol.js';
import { StandInRig, type TestService } from '../helpers/service.js';
import { refused, roundTrip, subscribe, TestClient } from '../helpers/ws-client.js';

const SECRET = 'an-hs256-secret-that-is-at-least-32-bytes-long';
const key = (secret: string) => new TextEncoder().encode(secret);
const nowSecs = () => Math.floor(Date.now() / 1000);

const jwt = (claims: { exp?: number; sub?: string } = {}, secret = SECRET, alg = 'HS256') => {
  const token = new SignJWT({}).setProtectedHeader({ alg }).setSubject(claims.sub ?? 'fan-1').setIssuedAt();
  if (claims.exp !== undefined) token.setExpirationTime(claims.exp);
  return token.sign(key(secret));
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access control', () => {
  const rig = new StandInRig({ POLL_INTERVAL_SECS: '0.5', POLL_INTERVAL_IDLE_SECS: '0.5' });
  afterEach(() => rig.stop());

  const start = (env: Record<string, string>): Promise<TestService> => rig.start(env);

  /** Opens a client and waits for a PONG: the connection is accepted and served. */
  async function open(url: string, options: Parameters<typeof TestClient.open>[1] = {}): Promise<TestClient> {
    const client = await rig.open(url, options);
    await roundTrip(client);
    return client;
  }

  describe('static tokens (AUTH_TOKENS=a,b)', () => {
    it('refuses /ws without a token or with a wrong one (401, WWW-Authenticate: Bearer) and accepts header or query tokens', async () => {
      const running = await start({ AUTH_TOKENS: 'token-a,token-b' });
      const missing = await refused(TestClient.open(running.wsUrl));
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer');
      const wrong = await refused(TestClient.open(running.wsUrl, { headers: { authorization: 'Bearer token-c' } }));
      expect(wrong.status).toBe(401);
      const wrongQuery = await refused(TestClient.open(`${running.wsUrl}?token=token-a-but-longer`));
      expect(wrongQuery.status).toBe(401);
      expect(running.app.hub.connectionCount).toBe(0);

      await open(running.wsUrl, { headers: { authorization: 'Bearer token-a' } });
      await open(`${running.wsUrl}?token=token-b`);
      expect(running.app.hub.connectionCount).toBe(2);
    });

    it('protects /matches, /matches/:id and /events with 401 JSON, and leaves /health and /metrics open', async () => {
      const running = await start({ AUTH_TOKENS: 'token-a,token-b' });
      for (const path of ['/matches', '/matches/1001', '/events', '/events?since=0']) {
        const response = await fetch(`${running.url}${path}`);
        expect(response.status, path).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
        expect(response.headers.get('content-type')).toMatch(/application\/json/);
        expect(await response.json()).toMatchObject({ error: HttpErrorCode.Unauthorized });
        const wrong = await fetch(`${running.url}${path}`, { headers: { authorization: 'Bearer nope' } });
        expect(wrong.status, path).toBe(401);
      }
      const withHeader = await fetch(`${running.url}/matches`, { headers: { authorization: 'Bearer token-a' } });
      expect(withHeader.status).toBe(200);
      expect(await withHeader.json()).toMatchObject({ matches: [] });
      const withQuery = await fetch(`${running.url}/events?token=token-b`);
      expect(withQuery.status).toBe(200);
      expect(await withQuery.json()).toMatchObject({ events: [] });

      expect((await fetch(`${running.url}/health`)).status).toBe(200);
      const metrics = await fetch(`${running.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('fsc_connection_refusals_total{reason="unauthorized"}');
    });

    it('requires METRICS_TOKEN on /metrics when it is set, and only that token', async () => {
      const running = await start({ AUTH_TOKENS: 'token-a', METRICS_TOKEN: 'scrape-me' });
      expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${running.url}/metrics`, { headers: { authorization: 'Bearer token-a' } })).status).toBe(401);
      const ok = await fetch(`${running.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('fsc_connections');
      expect((await fetch(`${running.url}/health`)).status).toBe(200);
    });
  });

  describe('JWT (AUTH_JWT_SECRET)', () => {
    it('accepts a valid HS256 token and refuses expired, wrongly signed, other-algorithm and alg:none tokens with 401', async () => {
      const running = await start({ AUTH_JWT_SECRET: SECRET });
      const valid = await jwt({ exp: nowSecs() + 3600 });
      await open(running.wsUrl, { headers: { authorization: `Bearer ${valid}` } });
      await open(`${running.wsUrl}?token=${valid}`);
      // A token without exp is valid (exp is optional in a JWT).
      await open(running.wsUrl, { headers: { authorization: `Bearer ${await jwt()}` } });
      expect((await fetch(`${running.url}/matches`, { headers: { authorization: `Bearer ${valid}` } })).status).toBe(200);

      const expired = await jwt({ exp: nowSecs() - 60 });
      const wrongSignature = await jwt({ exp: nowSecs() + 3600 }, 'another-secret-of-at-least-32-bytes-length!');
      const hs512 = await jwt({ exp: nowSecs() + 3600 }, SECRET, 'HS512');
      const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'fan-1', exp: nowSecs() + 3600 })}.`;
      const [header, payload] = valid.split('.');
      const tampered = `${header}.${b64url({ sub: 'admin', exp: nowSecs() + 3600 })}.${valid.split('.')[2]}`;
      expect(payload).not.toBe(tampered.split('.')[1]);
      for (const [name, token] of Object.entries({ expired, wrongSignature, hs512, none, tampered })) {
        const refusal = await refused(TestClient.open(running.wsUrl, { headers: { authorization: `Bearer ${token}` } }));
        expect(refusal.status, name).toBe(401);
        expect(refusal.headers['www-authenticate'], name).toBe('Bearer');
        const rest = await fetch(`${running.url}/events`, { headers: { authorization: `Bearer ${token}` } });
        expect(rest.status, name).toBe(401);
        expect(await rest.json()).toMatchObject({ error: HttpErrorCode.Unauthorized });
      }
      expect(running.app.hub.connectionCount).toBe(3);
    });

    it('closes a connection whose token expires while connected with 4401, and refuses the token afterwards', async () => {
      const running = await start({ AUTH_JWT_SECRET: SECRET, HEARTBEAT_INTERVAL_SECS: '0.5' });
      const shortLived = await jwt({ exp: nowSecs() + 2 });
      const longLived = await jwt({ exp: nowSecs() + 3600 });
      const expiring = await open(running.wsUrl, { headers: { authorization: `Bearer ${shortLived}` } });
      const staying = await open(running.wsUrl, { headers: { authorization: `Bearer ${longLived}` } });
      await subscribe(expiring, { action: 'subscribe_all' });

      const closed = await expiring.closed;
      expect(closed.code).toBe(CloseCode.TokenExpired);
      expect(closed.reason).toMatch(/expired/);
      await roundTrip(staying);

      const refusal = await refused(TestClient.open(running.wsUrl, { headers: { authorization: `Bearer ${shortLived}` } }));
      expect(refusal.status).toBe(401);
    });
  });
});
