// `pnpm start`: the reference server. Reads the configuration from the environment (see config.ts and the README),
// applies the migrations, listens, prints a curl example that works as printed, and shuts down gracefully.

import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, type LocalSecrets, type ServerConfig } from './config';
import { startServer, type RunningServer } from './server';

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

const ENV_NAMES: Record<keyof LocalSecrets, string> = {
  projectId: 'TOTP_PROJECT_ID',
  secret: 'TOTP_SECRET',
  encryptionKey: 'TOTP_ENCRYPTION_KEY',
  recoveryCodePepper: 'TOTP_RECOVERY_CODE_PEPPER',
  sessionSigningKey: 'TOTP_SESSION_SIGNING_KEY',
};

function banner(config: ServerConfig, running: RunningServer): string {
  const lines: string[] = [];
  const database = config.database.provider === 'sqlite' ? `SQLite ${config.database.file}` : 'PostgreSQL (DATABASE_URL)';
  lines.push(`TOTP server listening on ${running.url} (${database})`);
  const local = config.localSecrets;
  const credentialsAreLocal = local !== null && (local.used.includes('projectId') || local.used.includes('secret'));
  if (local !== null && local.used.length > 0) {
    lines.push('');
    lines.push(`WARNING: ${local.created ? 'generated' : 'using'} ${local.used.map((k) => ENV_NAMES[k]).join(', ')} for LOCAL USE ONLY,`);
    lines.push(`kept in ${local.file} (mode 0600). Set them in the environment for anything else.`);
  }
  lines.push('');
  lines.push(`  project_id  ${config.projectId}`);
  if (credentialsAreLocal) lines.push(`  secret      ${config.secret}`);
  else lines.push('  secret      (from TOTP_SECRET)');
  lines.push('');
  // A slug that is new on every start, so the example works as printed however often the server restarts.
  const slug = `acme-${randomBytes(3).toString('hex')}`;
  const user = credentialsAreLocal ? shellQuote(`${config.projectId}:${config.secret}`) : '"$TOTP_PROJECT_ID:$TOTP_SECRET"';
  lines.push('Try it (provisions an organization):');
  lines.push(
    `  curl -sS -u ${user} -H 'Content-Type: application/json' -d '{"organization_name":"Acme","organization_slug":"${slug}"}' ${running.url}/v1/b2b/organizations`,
  );
  lines.push('');
  lines.push(`With the stytch SDK: new B2BClient({ project_id, secret, custom_base_url: 'https://…' }) behind TLS; see docs/express.md.`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig(process.env, process.env.INIT_CWD ?? process.cwd());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const running = await startServer({ config });
  console.log(banner(config, running));

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: finishing in-flight requests, then exiting`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('The server could not start:', error);
  process.exit(1);
});
