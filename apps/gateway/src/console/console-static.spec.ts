import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mountConsole } from './console-static';

@Module({})
class EmptyModule {}

async function serve(buildDir: string): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(EmptyModule, { logger: false });
  mountConsole(app, buildDir);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

describe('the console at /console', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kb4-console-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the built page with a strict content security policy, never cached, and its hashed assets for good', async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const { app, url } = await serve(dir);
    try {
      const redirect = await fetch(`${url}/console`, { redirect: 'manual' });
      expect([redirect.status, redirect.headers.get('location')]).toEqual([308, '/console/']);
      const page = await fetch(`${url}/console/tenants/anything`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>console</title>');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const asset = await fetch(`${url}/console/assets/index-abc123.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${url}/console/assets/missing.js`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('says how to build it when there is no build, and the rest of the gateway does not care', async () => {
    const { app, url } = await serve(join(dir, 'not-built'));
    try {
      const answer = await fetch(`${url}/console/`);
      expect(answer.status).toBe(503);
      expect(await answer.text()).toMatch(/npm run build:console/);
    } finally {
      await app.close();
    }
  });
});
