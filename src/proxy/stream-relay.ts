// SPEC §4 rule 8: relay a provider's SSE stream to the client event by event as it arrives
// (never buffered whole, backpressure respected), read the usage on the way, and settle when it
// ends — also when it is cut short by the client or the provider: then it is charged for what
// was produced (reported usage if any, else a count of the streamed output), never zero.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Dispatcher } from 'undici';
import { costBreakdownToJson, costOf } from '../pricing/cost-engine';
import { NormalizedUsage } from '../pricing/usage';
import { SseEvent, SseParser } from '../providers/sse';
import { createRelayFilter, createStreamTracker } from '../providers/stream-trackers';
import type { CallScope } from './call-scope';
import type { CallInFlight } from './proxy.service';

export interface RelayOptions {
  call: CallInFlight;
  upstream: Dispatcher.ResponseData;
  reply: FastifyReply;
  /** The call's lifetime: a hang-up or the deadline stops the relay at once, wherever it waits. */
  scope: CallScope;
  settle(costMicrocents: bigint, usage: NormalizedUsage, details: Record<string, unknown>, breakdown: unknown): Promise<unknown>;
  onUpstreamError(): void;
}

export async function relayStream(o: RelayOptions): Promise<void> {
  const { call, upstream, reply, scope } = o;
  const { m } = call;
  const tracker = createStreamTracker(m.provider, m.operation);
  const relay = createRelayFilter(m.provider, m.operation, call.clientAskedForUsage);
  const parser = new SseParser();
  const out = new PassThrough();
  // Nothing more can reach a client that left: end our side quietly (destroying it would make
  // Fastify report a premature close as an error) and let the socket go.
  const onStop = () => {
    out.end();
    if (scope.clientGone) reply.raw.destroy();
  };
  scope.signal.addEventListener('abort', onStop, { once: true });

  let failure: Error | undefined;
  try {
    if (scope.signal.aborted) throw scope.signal.reason;
    const type = upstream.headers['content-type'];
    reply
      .status(upstream.statusCode)
      .header('content-type', typeof type === 'string' ? type : 'text/event-stream')
      .header('cache-control', 'no-cache')
      .send(out);
    // The events of one upstream chunk arrived together and leave together: one write each.
    const pass = async (events: SseEvent[]) => {
      const parts: Buffer[] = [];
      for (const event of events) {
        tracker.onEvent(event);
        call.observed?.streamEvent(event);
        const bytes = relay(event);
        if (bytes) parts.push(bytes);
      }
      if (parts.length === 0 || scope.signal.aborted) return;
      if (!out.write(parts.length === 1 ? parts[0] : Buffer.concat(parts))) await once(out, 'drain', { signal: scope.signal });
    };
    for await (const chunk of upstream.body) await pass(parser.push(chunk as Buffer));
    await pass(parser.flush());
  } catch (err) {
    // Events completed before an oversized one still reach the client and the count.
    for (const event of (err as { completedEvents?: SseEvent[] }).completedEvents ?? []) {
      tracker.onEvent(event);
      call.observed?.streamEvent(event);
      const bytes = relay(event);
      if (bytes && !scope.signal.aborted) out.write(bytes);
    }
    failure = err as Error;
    if (!scope.signal.aborted) o.onUpstreamError();
    upstream.body.destroy();
  } finally {
    scope.signal.removeEventListener('abort', onStop);
    // Settle before the client sees the end: a client that calls again at once finds its
    // budget already up to date.
    await finish(o, tracker, failure).finally(() => {
      if (!out.writableEnded) out.end();
    });
  }
}

async function finish(o: RelayOptions, tracker: ReturnType<typeof createStreamTracker>, failure: Error | undefined): Promise<void> {
  const { call, scope } = o;
  const cutShort = scope.ended ?? (failure ? 'upstream_stream_broken' : undefined);
  // The provider accepted the call (it answered 200), so it bills at least the input even when
  // nothing was streamed; what was streamed is counted, never charged as zero.
  const settled = tracker.settle(call.estimate.inputTokens, {
    outputCapTokens: call.reserved.capTokens * call.reserved.choices,
    hiddenReasoning: hidesReasoning(call),
  });
  const breakdown = costOf(call.card, settled.usage);
  await o.settle(
    breakdown.totalMicrocents,
    settled.usage,
    { basis: settled.basis, ...(cutShort ? { cut_short: cutShort } : {}) },
    costBreakdownToJson(breakdown),
  );
}

/**
 * OpenAI reasoning models (o-series, gpt-5) on Chat Completions reason without streaming it; a
 * stream cut short before its usage report is then charged its whole output cap.
 */
function hidesReasoning(call: CallInFlight): boolean {
  return call.m.provider === 'openai' && call.m.operation === 'chat.completions' && /^(o\d|gpt-5)/.test(call.m.model);
}
