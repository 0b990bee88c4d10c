// The scenario picker's state, read by the client middleware that stamps each call's `Prefer`
// header (the mocks' scenario vocabulary). '' is the page's own, stateful answer (backend.ts).
import { scenariosOf, type Scenario } from '@connector-credentials/mocks-msw';
import { LIST_CONNECTIONS, SET_CONNECTION_ACTIVE } from '@connector-credentials/react-query';

export type Operation = 'list' | 'toggle';

export const scenarioOptions: Record<Operation, Scenario[]> = {
  list: scenariosOf('aitronos').filter((s) => s.method === 'get' && s.path === LIST_CONNECTIONS),
  toggle: scenariosOf('aitronos').filter((s) => s.method === 'patch' && s.path === SET_CONNECTION_ACTIVE),
};

const chosen: Record<Operation, string> = { list: '', toggle: '' };
let answered = 0;
const listeners = new Set<() => void>();
const notify = () => {
  for (const listener of listeners) listener();
};

export const mockState = {
  /** The `Prefer` value of an operation's scenario; '' for the page's own answer. */
  prefer: (operation: Operation): string => chosen[operation],
  choose(operation: Operation, prefer: string): void {
    chosen[operation] = prefer;
    notify();
  },
  /** Calls to /api the worker has answered since the page loaded. */
  answered: (): number => answered,
  countAnswer(): void {
    answered += 1;
    notify();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
