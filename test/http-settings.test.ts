// The web listeners' settings: ports.https and http.cors_origins from the file and the
// environment, origins kept in the form browsers send, and mistakes refused at start.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../src/server/config.ts';
import { tempDir } from './helpers/server.ts';

function fromFile(toml: string) {
  const dir = tempDir('http-settings');
  try {
    const file = join(dir.path, 'posthorn.toml');
    writeFileSync(file, toml);
    return loadConfig({ file, env: {} });
  } finally {
    dir.remove();
  }
}

test('ports.https: 8443 by default, POSTHORN_HTTPS_PORT or the file override it, 0 disables', () => {
  assert.equal(loadConfig({ env: {} }).ports.https, 8443);
  assert.equal(loadConfig({ env: { POSTHORN_HTTPS_PORT: '443' } }).ports.https, 443);
  assert.equal(loadConfig({ env: { POSTHORN_HTTPS_PORT: '0' } }).ports.https, 0);
  assert.equal(fromFile('[ports]\nhttps = 9443\n').ports.https, 9443);
  assert.throws(() => loadConfig({ env: { POSTHORN_HTTPS_PORT: '70000' } }), /POSTHORN_HTTPS_PORT/);
});

test('http.cors_origins: empty by default; a TOML list or a comma-separated variable, in serialized form', () => {
  assert.deepEqual(loadConfig({ env: {} }).http.corsOrigins, []);
  assert.deepEqual(fromFile('[http]\ncors_origins = ["https://App.Example", "http://localhost:5173/"]\n').http.corsOrigins, ['https://app.example', 'http://localhost:5173']);
  assert.deepEqual(loadConfig({ env: { POSTHORN_HTTP_CORS_ORIGINS: 'https://a.example, https://b.example:443 ,*' } }).http.corsOrigins, ['https://a.example', 'https://b.example', '*']);
  assert.deepEqual(loadConfig({ env: { POSTHORN_HTTP_CORS_ORIGINS: '' } }).http.corsOrigins, []);
});

test('http.cors_origins refuses what is not an origin, naming the setting', () => {
  for (const bad of ['https://app.example/path', 'app.example', 'ftp://app.example', 'null', 'https://user@app.example', 'https://app.example?x=1']) {
    assert.throws(() => loadConfig({ env: { POSTHORN_HTTP_CORS_ORIGINS: bad } }), (err: unknown) => err instanceof ConfigError && /POSTHORN_HTTP_CORS_ORIGINS/.test(err.message), bad);
  }
  assert.throws(() => fromFile('[http]\ncors_origins = 42\n'), /setting "http\.cors_origins"/);
  assert.throws(() => fromFile('[http]\ncors_origin = ["https://app.example"]\n'), /unknown setting "http\.cors_origin"/);
});
