// Gives the PostgreSQL tests a server: TOTP_TEST_POSTGRES_URL when set (CI starts one), else a throwaway cluster
// started here with scripts/postgres.sh and stopped after the run. If neither works the tests fail; none is skipped.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { POSTGRES_SCRIPT } from './paths';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { url: string | null; error: string | null };
  }
}

export default function setup(project: TestProject): () => void {
  const fromEnvironment = process.env.TOTP_TEST_POSTGRES_URL;
  if (fromEnvironment) {
    project.provide('postgres', { url: fromEnvironment, error: null });
    return () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'totp-pg-test-'));
  try {
    const url = execFileSync('bash', [POSTGRES_SCRIPT, 'start', dir, '--fast'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    project.provide('postgres', { url, error: null });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || String(error);
    project.provide('postgres', {
      url: null,
      error:
        'No PostgreSQL for the @totp/prisma tests: TOTP_TEST_POSTGRES_URL is not set and starting a throwaway cluster ' +
        `failed (install the server, e.g. apt-get install -y postgresql, or set TOTP_TEST_POSTGRES_URL): ${detail}`,
    });
    rmSync(dir, { recursive: true, force: true });
    return () => undefined;
  }
  return () => {
    try {
      execFileSync('bash', [POSTGRES_SCRIPT, 'stop', dir], { stdio: 'ignore' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
