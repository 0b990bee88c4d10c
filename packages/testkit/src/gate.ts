/**
 * A gate for stand-ins: answers wait behind it until the test opens it. Tests that need requests
 * to overlap hold every upstream answer until they have seen all the requests arrive (through a
 * counter the server exposes), then open the gate: the overlap holds by construction, on any
 * machine, instead of depending on a delay being long enough.
 */
export interface Gate {
  /** Resolves once the gate is open (at once when it already is). */
  readonly passed: Promise<void>;
  open(): void;
  readonly isOpen: boolean;
}

export function createGate(): Gate {
  let open!: () => void;
  let isOpen = false;
  const passed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    passed,
    open() {
      isOpen = true;
      open();
    },
    get isOpen() {
      return isOpen;
    },
  };
}

/**
 * Waits until `condition()` holds, checking every `intervalMs`. Not a timing assertion: the
 * deadline only guards against a hang, and reaching it throws with `what` in the message.
 */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, { deadlineMs = 60_000, intervalMs = 10 } = {}): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The value of one Prometheus sample in a `/metrics` text, or 0 when it is absent. */
export function metricValue(text: string, sample: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return 0;
}
