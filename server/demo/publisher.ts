/**
 * Demo traffic for a fresh install: a few agents working through customer cases, so the live views have
 * something to show. Every 2–3 s it publishes the next step of a small case story (`case.opened` →
 * `inventory.checked` → `booking.requested`), and at start a short burst so the first page is not empty.
 * Only `npm start` with SPINE_DEMO on runs it; tests and production installs turn it off.
 *
 * It publishes through the spine like any other producer and keeps no state the spine does not have:
 * case numbers continue after the newest `case:<n>` key already in the log.
 */
import type { EventInput, Spine } from '@/server/spine';

export type Demo = { stop(): Promise<void> };

const CUSTOMERS = ['Acme Travel', 'Nordwind GmbH', 'Blue Harbor Hotels', 'Kestrel Logistics', 'Mira Health'];
const ROUTES = [
  { flight: 'LH 454', from: 'FRA', to: 'SFO' },
  { flight: 'BA 117', from: 'LHR', to: 'JFK' },
  { flight: 'AF 276', from: 'CDG', to: 'NRT' },
  { flight: 'KL 605', from: 'AMS', to: 'SFO' },
];
const PRIORITIES = ['low', 'normal', 'normal', 'high'] as const;

const INTAKE = { kind: 'agent', name: 'demo-intake' } as const;
const INVENTORY = { kind: 'agent', name: 'demo-inventory' } as const;
const BOOKING = { kind: 'agent', name: 'demo-booking' } as const;

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/** The three steps of one case, in order. */
function caseStory(n: number): EventInput[] {
  const key = `case:${n}`;
  const route = pick(ROUTES);
  const seats = 1 + Math.floor(Math.random() * 3);
  const available = Math.random() > 0.15;
  const story: EventInput[] = [
    {
      type: 'case.opened',
      key,
      source: INTAKE,
      payload: { caseNumber: n, customer: pick(CUSTOMERS), subject: `Rebook ${route.flight} ${route.from}→${route.to}`, priority: pick(PRIORITIES) },
    },
    {
      type: 'inventory.checked',
      key,
      source: INVENTORY,
      payload: { flight: route.flight, seatsRequested: seats, available, seatsLeft: available ? seats + Math.floor(Math.random() * 9) : 0 },
    },
  ];
  if (available)
    story.push({
      type: 'booking.requested',
      key,
      source: BOOKING,
      payload: { flight: route.flight, seats, fare: { currency: 'EUR', amount: 180 * seats + Math.floor(Math.random() * 400) } },
    });
  return story;
}

async function nextCaseNumber(spine: Spine): Promise<number> {
  const [last] = await spine.read({ after: 0, limit: 1, filter: { types: ['case.opened'] }, descending: true });
  const n = Number(last?.key?.replace(/^case:/, ''));
  return Number.isInteger(n) && n > 0 ? n + 1 : 17;
}

/**
 * Starts publishing; `stop()` cancels the timer and waits for an append in flight.
 * @example const demo = startDemo(runtime.spine); ...; await demo.stop();
 */
export function startDemo(spine: Spine, opts: { burst?: number; minDelayMs?: number; maxDelayMs?: number } = {}): Demo {
  const { burst = 6, minDelayMs = 2000, maxDelayMs = 3000 } = opts;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  let caseNumber = 0;
  let queue: EventInput[] = [];

  const nextEvent = (): EventInput => {
    if (queue.length === 0) queue = caseStory(caseNumber++);
    return queue.shift()!;
  };

  const tick = () => {
    if (stopped) return;
    inFlight = spine
      .publish(nextEvent())
      .catch((e: unknown) => {
        if (!stopped) console.error('[demo] publish failed:', e);
      })
      .finally(schedule);
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, minDelayMs + Math.random() * (maxDelayMs - minDelayMs));
    timer.unref();
  };

  inFlight = (async () => {
    caseNumber = await nextCaseNumber(spine);
    if (burst > 0 && !stopped) await spine.append(Array.from({ length: burst }, nextEvent));
  })()
    .catch((e: unknown) => {
      if (!stopped) console.error('[demo] start failed:', e);
    })
    .finally(schedule);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
