/**
 * Malformed HTTP from the attacker's side: odd request targets, broken percent-encoding and bad
 * Range headers, sent raw (fetch would normalise them). Every one gets an answer, promptly, and
 * none is a 5xx. Static files come from a real sirv over a temporary directory.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, startServer, type TestServer } from '../helpers/server.ts';

const ASSET = 'x'.repeat(2_000);

interface Answer {
  status: number | 'no answer' | 'closed';
  body: string;
}

/** One raw request on its own connection; 'no answer' if nothing came back in 5 s. */
function raw(server: TestServer, head: string): Promise<Answer> {
  const { port } = new URL(server.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (status: Answer['status']) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    };
    const timer = setTimeout(() => finish('no answer'), 3_000);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      // Wait for the whole head, and the body when the connection closes after it.
      if (match && data.includes('\r\n\r\n') && !/^HEAD /.test(head)) return;
      if (match && data.includes('\r\n\r\n')) finish(Number(match[1]));
    });
    socket.on('end', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      finish(match ? Number(match[1]) : 'closed');
    });
    socket.on('error', () => finish('closed'));
    socket.write(head);
  });
}

const request = (method: string, target: string, headers: string[] = []) =>
  `${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${headers.map((h) => `${h}\r\n`).join('')}Connection: close\r\n\r\n`;

describe.each(DIALECTS)('malformed HTTP requests (%s)', (dialect) => {
  let server: TestServer;
  let dir: string;
  let adminToken: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'p2sp-static-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>p2sp</title>');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'app.js'), ASSET);
    server = await startServer(dialect, { staticDir: dir });
    await server.app.services.auth.createUser('http_admin', 'admin password', true);
    adminToken = (await server.app.services.auth.login('http_admin', 'admin password', '127.0.0.1'))
      .token;
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the static files at all (the fixture works)', async () => {
    expect((await raw(server, request('GET', '/assets/app.js'))).status).toBe(200);
    const part = await raw(server, request('GET', '/assets/app.js', ['Range: bytes=10-19']));
    expect(part.status).toBe(206);
    expect(part.body).toBe('x'.repeat(10));
  });

  it.each(['/\\', '//[', '//a:99999/', '//a:99999/api/auth/me', '/api/%E0%A4%A', '/%'])(
    'GET %s is answered below 500',
    async (target) => {
      const answer = await raw(server, request('GET', target));
      expect(answer.status).toBeGreaterThanOrEqual(200);
      expect(answer.status).toBeLessThan(500);
    },
  );

  it('a malformed percent-encoding in an API path is BAD_REQUEST, and blocks nobody', async () => {
    const answer = await raw(
      server,
      request('POST', '/api/admin/users/%E0%A4%A/block', [`Authorization: Bearer ${adminToken}`]),
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'the request path is not valid percent-encoding' },
    });
  });

  it.each(['bytes=100-5', 'bytes=abc', 'bytes=5', 'bytes=--1', 'items=0-5'])(
    'Range %s on a static file is refused with BAD_REQUEST',
    async (range) => {
      const answer = await raw(server, request('GET', '/assets/app.js', [`Range: ${range}`]));
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    },
  );

  it('a suffix range or several ranges are served whole (a server may ignore Range)', async () => {
    for (const range of ['bytes=-5', 'bytes=0-1,5-9']) {
      const answer = await raw(server, request('GET', '/assets/app.js', [`Range: ${range}`]));
      expect(answer.status, range).toBe(200);
      expect(answer.body, range).toBe(ASSET);
    }
  });

  it('fuzz: odd targets, methods and headers always get an answer below 500', async () => {
    const targets = [
      '/',
      '/\\',
      '/\\\\evil.example',
      '//',
      '//[',
      '//[::1',
      '//a:99999/',
      '//a:-1/x',
      '//user@host/',
      '/%',
      '/%%',
      '/%zz',
      '/%00',
      '/%E0%A4%A',
      '/%C0%AF',
      '/..%2f..%2fetc%2fpasswd',
      '/../../etc/passwd',
      '/assets/app.js',
      '/assets/app.js?%',
      '/assets/app.js#frag',
      '/index.html?x=%E0%A4%A',
      '/api',
      '/api/',
      '/api/%',
      '/api/auth/login?%',
      '/api/admin/users/%E0%A4%A/block',
      '/api/admin/users/%/unblock',
      '/api/admin/users/' + 'a'.repeat(3000) + '/block',
      '/api/admin/log?limit=%',
      '/api/admin/log?limit=-1',
      '/healthz?%',
      '/socket.io/',
      '/socket.io/?EIO=99&transport=polling',
      '/socket.io/?EIO=4&transport=websocket',
      '/socket.io/?EIO=4&transport=polling&sid=%',
      'http://localhost/assets/app.js',
      'http://[/',
      '*',
      'x',
      '?',
    ];
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
    const headerSets: string[][] = [
      [],
      ['Range: bytes=100-5'],
      ['Range: bytes=999999-'],
      ['Range: bytes=0-99999999999999999999'],
      ['Range: bytes=-'],
      ['Content-Type: application/json', 'Content-Length: 5', '', '{"a":'],
      ['If-None-Match: *', 'Accept-Encoding: br, gzip'],
      ['X-Forwarded-For: <script>, %E0'],
      [`Authorization: Bearer ${'%'.repeat(200)}`],
    ];
    const cases: string[] = [];
    for (const target of targets)
      for (const method of methods)
        for (const headers of headerSets) cases.push(request(method, target, headers));
    const bad: string[] = [];
    // A few connections at a time: enough to be quick, few enough not to look like a flood.
    for (let i = 0; i < cases.length; i += 16) {
      const batch = cases.slice(i, i + 16);
      const answers = await Promise.all(batch.map((c) => raw(server, c)));
      answers.forEach((a, j) => {
        if (typeof a.status !== 'number' || a.status >= 500)
          bad.push(`${a.status}: ${batch[j]!.split('\r\n').slice(0, 3).join(' | ').slice(0, 120)}`);
      });
    }
    expect(bad).toEqual([]);
    expect(cases.length).toBeGreaterThan(2_000);
    // And the server is still fine.
    expect((await raw(server, request('GET', '/healthz'))).status).toBe(200);
  }, 180_000);
});
