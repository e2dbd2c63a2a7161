// Where the CLI's requests go and with which key: --base-url / CAP_BASE_URL and --api-key /
// CAP_API_KEY, and the seed's rule that CAP_MODE=hosted needs a key before anything is sent.
import { createSpendGuardClient, DEFAULT_REQUEST_TIMEOUT_MS, SpendGuardClient } from '../client/spendguard-client';
import { CliError } from './cli-io';
import { Invocation, stringOption } from './command';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';

export interface Connection {
  baseUrl: string;
  client: SpendGuardClient;
}

export function connect(inv: Invocation): Connection {
  const env = inv.io.env;
  const mode = (env.CAP_MODE || 'sidecar').trim().toLowerCase();
  const apiKey = stringOption(inv.values, 'api-key') || env.CAP_API_KEY || undefined;
  if (mode === 'hosted' && !apiKey) throw new CliError('Hosted mode requires API key via --api-key or CAP_API_KEY');
  const baseUrl = (stringOption(inv.values, 'base-url') || env.CAP_BASE_URL || DEFAULT_BASE_URL).replace(/\/+$/, '');
  return { baseUrl, client: createSpendGuardClient({ baseUrl, apiKey, timeoutMs: requestTimeoutMs(env) }) };
}

/** CAP_CLI_TIMEOUT_MS bounds each request (default 30 s, as the seed's CLI). */
function requestTimeoutMs(env: Record<string, string | undefined>): number {
  const raw = env.CAP_CLI_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_REQUEST_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new CliError(`CAP_CLI_TIMEOUT_MS must be a positive integer (got ${JSON.stringify(raw)})`);
  return ms;
}
