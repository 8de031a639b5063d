// Before any test: generates the server's Prisma clients (what `pnpm start` does before starting), and gives the
// PostgreSQL tests a database: TOTP_SERVER_TEST_POSTGRES_URL when set (.ci/run creates one), else a throwaway cluster
// started here with @totp/prisma's scripts/postgres.sh and stopped after the run. If neither works those tests fail.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
    postgresError: string | null;
  }
}

const POSTGRES_SCRIPT = fileURLToPath(new URL('../../prisma/scripts/postgres.sh', import.meta.url));

export default function setup(project: TestProject): () => void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/generate-client.mjs', import.meta.url))], { stdio: 'inherit' });
  const fromEnvironment = process.env.TOTP_SERVER_TEST_POSTGRES_URL;
  if (fromEnvironment) {
    project.provide('postgresUrl', fromEnvironment);
    project.provide('postgresError', null);
    return () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'totp-server-pg-'));
  try {
    const url = execFileSync('bash', [POSTGRES_SCRIPT, 'start', dir, '--fast'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    project.provide('postgresUrl', url);
    project.provide('postgresError', null);
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || String(error);
    project.provide('postgresUrl', null);
    project.provide(
      'postgresError',
      `no PostgreSQL: TOTP_SERVER_TEST_POSTGRES_URL is not set and a throwaway cluster did not start: ${detail}`,
    );
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
