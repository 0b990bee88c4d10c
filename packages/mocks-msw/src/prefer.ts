// The scenario vocabulary of the Prism mocks (`Prefer: code=STATUS, example=NAME`), shared by the
// MSW handlers: per request with the header, or for a whole test with `useScenario`.

export interface Preference {
  code?: string;
  example?: string;
  dynamic?: boolean;
}

/** Parses `Prefer: code=404, example=credential_not_found` (order and spacing free). */
export function parsePrefer(header: string | null | undefined): Preference {
  const preference: Preference = {};
  for (const part of (header ?? '').split(/[,;]/)) {
    const [key, ...rest] = part.split('=');
    const value = rest.join('=').trim().replace(/^"(.*)"$/, '$1');
    switch (key?.trim().toLowerCase()) {
      case 'code':
        preference.code = value;
        break;
      case 'example':
        preference.example = value;
        break;
      case 'dynamic':
        preference.dynamic = value === 'true';
        break;
    }
  }
  return preference;
}

let current: string | undefined;

/**
 * Selects a scenario for every request until `resetScenario()`: an example's name
 * (`'oauth2_expired'`, `'credential_not_found'`: its status is looked up in the spec) or a
 * `Prefer` value (`'code=404, example=credential_not_found'`). A request's own `Prefer` header
 * wins over it.
 */
export function useScenario(scenario: string | undefined): void {
  current = scenario;
}

export function resetScenario(): void {
  current = undefined;
}

/** The scenario `useScenario` selected, if any. */
export function currentScenario(): string | undefined {
  return current;
}
