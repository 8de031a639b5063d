// Test support: a server on a fresh SQLite file, a settable clock, and the reference server run as `pnpm start` runs it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type ServerConfig } from '../src/config';
import { startServer, type RunningServer, type StartOptions } from '../src/server';

export function testClock(startMs = Date.now()) {
  let now = startMs;
  return { now: () => now, advanceSeconds: (s: number) => void (now += s * 1000), set: (ms: number) => void (now = ms) };
}

/** A config for a fresh SQLite file in a temp folder, with generated local secrets and an ephemeral port. */
export function sqliteConfig(dir = mkdtempSync(join(tmpdir(), 'totp-server-'))): ServerConfig {
  return loadConfig({ PORT: '0', TOTP_PROJECT_NAME: 'Test' }, dir);
}

export async function startTestServer(
  options: Partial<StartOptions> = {},
): Promise<RunningServer & { config: ServerConfig; auth: string }> {
  const config = options.config ?? sqliteConfig();
  const running = await startServer({ logger: { error: () => {} }, ...options, config });
  return { ...running, config, auth: `Basic ${Buffer.from(`${config.projectId}:${config.secret}`).toString('base64')}` };
}

export interface MainProcess {
  child: ChildProcess;
  /** Everything printed so far. */
  output: () => string;
  /** Resolves once the banner is printed. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

/** src/main.ts in a child process, as `pnpm start` runs it (tsx with the workspace tsconfig). */
export function runMain(env: Record<string, string>, cwd: string): MainProcess {
  const require = createRequire(import.meta.url);
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const child = spawn(
    process.execPath,
    [require.resolve('tsx/cli'), '--tsconfig', join(root, 'tsconfig.json'), fileURLToPath(new URL('../src/main.ts', import.meta.url))],
    { cwd, env: { PATH: process.env.PATH ?? '', INIT_CWD: cwd, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout?.on('data', (d: Buffer) => void (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (text.includes('/v1/b2b/organizations\n')) resolve();
      else if (child.exitCode !== null) reject(new Error(`main exited: ${text}`));
      else setTimeout(check, 50);
    };
    check();
  });
  // A test that expects main to fail awaits `exited`, not `ready`: without a handler, ready's rejection would be an
  // unhandled rejection that vitest reports as an error after the test passed.
  ready.catch(() => undefined);
  return { child, output: () => text, ready, exited };
}
