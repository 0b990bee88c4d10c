// Development only: picks the mock's answer of each operation (the spec's named scenarios).
import { useSyncExternalStore } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { connectionKeys } from '@connector-credentials/react-query';
import { mockState, scenarioOptions, type Operation } from './scenario.ts';

const labels: Record<Operation, string> = { list: 'List answers with', toggle: 'Switch answers with' };

export function ScenarioPicker() {
  const queryClient = useQueryClient();
  const answered = useSyncExternalStore(mockState.subscribe, mockState.answered);
  const list = useSyncExternalStore(mockState.subscribe, () => mockState.prefer('list'));
  const toggle = useSyncExternalStore(mockState.subscribe, () => mockState.prefer('toggle'));
  const value: Record<Operation, string> = { list, toggle };

  const choose = (operation: Operation, prefer: string) => {
    mockState.choose(operation, prefer);
    if (operation === 'list') void queryClient.resetQueries({ queryKey: connectionKeys.all() });
  };

  return (
    <aside className="picker" aria-label="Mock scenarios">
      <strong>Mock scenarios</strong> <small>(development only: MSW answers in this page)</small>
      {(['list', 'toggle'] as const).map((operation) => (
        <label key={operation}>
          {labels[operation]}{' '}
          <select value={value[operation]} onChange={(event) => choose(operation, event.target.value)}>
            <option value="">the page's own state (default)</option>
            {scenarioOptions[operation].map((s) => (
              <option key={s.name} value={s.prefer}>
                {s.name} ({s.status})
              </option>
            ))}
          </select>
        </label>
      ))}
      <output aria-label="Calls answered by the mock">{answered} calls answered by the mock</output>
    </aside>
  );
}
