// `npm run demo`: SpendGuard stopping an agent at its hard budget, end to end, on this machine
// alone. No database, no API key, no network: a fake OpenAI-compatible provider runs in this
// process, SpendGuard runs as a child process (`node dist/main.js`) on its own embedded
// PostgreSQL in a temporary directory, and the official OpenAI SDK talks to SpendGuard exactly
// as an application would. Each call costs about half a cent; the agent may spend 3 cents; the
// call that no longer fits is refused with 402 before it reaches the provider.
import OpenAI from 'openai';
import { startFakeProvider } from '../test/fake-provider/fake-provider';
import { startSidecar, type Sidecar } from './demo-sidecar';

const LIMIT_CENTS = 3;
const MODEL = 'gpt-4o-mini'; // 15 ¢ per 1M input tokens, 60 ¢ per 1M output tokens (bundled price table)
const MAX_TOKENS = 8_000;
const MAX_CALLS = 20; // a safety net: the budget runs out long before

// The fake provider answers every call with this much: 1,000 input tokens and as many output
// tokens as the call allows (8,000), about 0.5 ¢ a call at gpt-4o-mini's prices.
const FAKE_INPUT_TOKENS = 1_000;

// A prompt of about 1,600 tokens: SpendGuard estimates the input from the prompt before the
// call, so it holds enough for the 1,000 tokens the fake will report.
const DOCUMENT = Array.from({ length: 80 }, (_, i) => `Paragraph ${i + 1}: the quarterly numbers went up, then down, then sideways.`).join('\n');

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);

const cents = (microcents: bigint | string) => `${(Number(BigInt(microcents)) / 1_000_000).toFixed(4)}¢`;
const int = (n: number) => n.toLocaleString('en-US');

function bar(remaining: bigint, limit: bigint, width = 30): string {
  const filled = remaining <= 0n ? 0 : Number((remaining * BigInt(width) + limit - 1n) / limit);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

async function main(): Promise<number> {
  console.log(bold('SpendGuard demo: a hard budget in front of an LLM'));
  console.log(dim('Everything runs locally: a fake OpenAI-compatible provider stands in for the real one, so nothing is billed.'));
  console.log('');

  const fake = await startFakeProvider({ behavior: { defaultOutputTokens: MAX_TOKENS, usage: { input: FAKE_INPUT_TOKENS } } });
  console.log(`• fake provider      ${fake.url}`);

  let sidecar: Sidecar | undefined;
  const cleanup = async () => {
    if (sidecar) {
      process.stdout.write('• stopping SpendGuard … ');
      const code = await sidecar.stop();
      console.log(code === 0 ? 'done' : `exited with ${code}`);
      sidecar = undefined;
    }
    await fake.close();
  };
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    process.stdout.write('• starting SpendGuard (first start initialises its embedded PostgreSQL; this takes a few seconds) … ');
    const started = Date.now();
    sidecar = await startSidecar({
      ...fake.env(), // OPENAI_BASE_URL etc.: SpendGuard forwards to the fake
      OPENAI_API_KEY: 'sk-demo-provider-key',
      XAI_API_KEY: 'xai-demo-provider-key',
      ANTHROPIC_API_KEY: 'sk-ant-demo-provider-key',
      GEMINI_API_KEY: 'gemini-demo-provider-key',
    });
    console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`• SpendGuard         ${sidecar.url}  ${dim(`(data in ${sidecar.dataDir})`)}`);

    const agent = await api(sidecar.url, 'POST', '/v1/agents', { name: 'demo-agent' });
    await api(sidecar.url, 'POST', `/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: LIMIT_CENTS, topup_cents: LIMIT_CENTS });
    console.log(`• agent "demo-agent" ${agent.agent_id}, hard limit ${bold(`${LIMIT_CENTS}¢`)}`);
    console.log('');
    console.log(dim(`The app uses the official OpenAI SDK with baseURL ${sidecar.url}/v1 and the header x-cynsta-agent-id.`));
    console.log(dim(`Each call asks ${MODEL} for up to ${int(MAX_TOKENS)} tokens; SpendGuard reserves the worst case first, then charges what was used.`));
    console.log('');

    const openai = new OpenAI({
      baseURL: `${sidecar.url}/v1`,
      apiKey: 'unused-in-sidecar',
      defaultHeaders: { 'x-cynsta-agent-id': agent.agent_id },
      maxRetries: 0,
    });
    const limit = BigInt(LIMIT_CENTS) * 1_000_000n;
    let spentBefore = 0n;

    for (let n = 1; n <= MAX_CALLS; n++) {
      try {
        const { data, response } = await openai.chat.completions
          .create(
            { model: MODEL, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: `Summarise this report, part ${n}:\n${DOCUMENT}` }] },
            { headers: { 'x-cynsta-run-id': 'demo-run' } },
          )
          .withResponse();
        const budget = await api(sidecar.url, 'GET', `/v1/agents/${agent.agent_id}/budget`);
        const spent = BigInt(budget.spent_microcents);
        const remaining = BigInt(budget.remaining_microcents);
        const cap = Number(response.headers.get('x-cynsta-max-tokens'));
        const clamped = cap < MAX_TOKENS ? yellow(` (cap shrunk to ${int(cap)} tokens to fit the budget)`) : '';
        console.log(
          `${green(`call ${n}: ok`)}  ${int(data.usage?.prompt_tokens ?? 0)} tokens in, ${int(data.usage?.completion_tokens ?? 0)} out${clamped}`,
        );
        console.log(`         cost ${bold(cents(spent - spentBefore))}   remaining ${bold(cents(remaining))} of ${LIMIT_CENTS}¢  ${bar(remaining, limit)}`);
        if (n === 1) {
          const h = (name: string) => `${name}: ${response.headers.get(name)}`;
          console.log(dim(`         every answer says it too, in whole cents: ${h('x-cynsta-cost-cents')} (rounded up), ${h('x-cynsta-remaining-cents')} (down)`));
        }
        spentBefore = spent;
      } catch (err) {
        if (err instanceof OpenAI.APIError && err.status === 402) {
          const body = err.error as { message?: string } | undefined;
          const budget = await api(sidecar.url, 'GET', `/v1/agents/${agent.agent_id}/budget`);
          console.log(`${red(`call ${n}: refused with 402 Payment Required`)}: ${body?.message ?? err.message}`);
          console.log(`         remaining ${cents(budget.remaining_microcents)}: not enough for even the input of this call. It never reached the provider.`);
          console.log('');
          console.log(
            `${bold('Done.')} The agent spent ${bold(cents(budget.spent_microcents))} of its ${LIMIT_CENTS}¢ limit in ${n - 1} calls, ` +
              `and SpendGuard stopped call ${n} before it could cost anything.`,
          );
          console.log(dim(`(the provider saw ${fake.requestCount} calls; see every entry: GET ${sidecar.url}/v1/agents/${agent.agent_id}/ledger)`));
          console.log('');
          return 0;
        }
        throw err;
      }
    }
    throw new Error(`the budget did not run out in ${MAX_CALLS} calls`);
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
