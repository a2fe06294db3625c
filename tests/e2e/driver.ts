// Starts tauri-driver (which starts WebKitWebDriver, which starts the app) for the e2e run, with
// the app pointed at a fresh data folder, a file secret store, a fixed demo-sandbox port and a
// stand-in for the file picker; stops it afterwards. Runs under Xvfb and a private D-Bus session
// (see scripts/e2e.sh).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const root = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`tauri-driver did not answer on port ${port} within ${ms} ms`);
}

let driver: ChildProcess | undefined;
let dataDir: string | undefined;

export default async function setup(project: TestProject) {
  const app = process.env.FANOUT_APP ?? join(root, 'target/debug/fanout-app');
  const tauriDriver = process.env.TAURI_DRIVER ?? 'tauri-driver';
  if (!existsSync(app)) throw new Error(`the app is not built at ${app}: run scripts/e2e.sh`);
  dataDir = mkdtempSync(join(tmpdir(), 'fanout-e2e-'));
  const driverPort = await freePort();
  const demoPort = await freePort();
  const photo = join(root, 'cli/assets/demo-photo.png');
  driver = spawn(tauriDriver, ['--port', String(driverPort)], {
    env: {
      ...process.env,
      FANOUT_DATA_DIR: dataDir,
      FANOUT_SECRET_STORE: 'file',
      FANOUT_DEMO_PORT: String(demoPort),
      FANOUT_PICK_FILES: photo,
      // The Meta login's address goes to this file instead of a browser; the test plays the user.
      FANOUT_OPEN_URL_FILE: join(dataDir, 'login-url.txt'),
      LANG: 'en_US.UTF-8',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForPort(driverPort, 30_000);
  project.provide('e2e', { app, driverPort, demoPort, dataDir });
  return async () => {
    driver?.kill('SIGTERM');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: { app: string; driverPort: number; demoPort: number; dataDir: string };
  }
}
