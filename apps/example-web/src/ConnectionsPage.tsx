// The personal-connectors screen of one tool in one organization: its connections, each with its
// name, status and email and an on/off switch. Loading, empty and error states; a 429 (or a 503
// that says when) is tried again after the wait it asks for, and the page says so meanwhile.
import { useEffect, useId, useState, type ReactNode } from 'react';
import { retryAfterMs, type ConnectionsError, type ConnectionsHooks, type ConnectionSummary } from '@connector-credentials/react-query';

interface Props {
  hooks: ConnectionsHooks;
  tool: string;
  organization: string;
  /** The development panel (scenario picker), when there is one. */
  devPanel?: ReactNode;
}

/** Seconds until `until` (a Date.now() value), ticking once a second. */
function useSecondsUntil(until: number | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === undefined) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [until]);
  return until === undefined ? undefined : Math.max(0, Math.ceil((until - now) / 1_000));
}

/** When the pending retry of a failed call will go, if the failure asked for a wait. */
function useRetryAt(failure: ConnectionsError | null, willRetry: boolean): number | undefined {
  const [at, setAt] = useState<number | undefined>();
  useEffect(() => {
    const wait = failure ? retryAfterMs(failure) : undefined;
    setAt(willRetry && wait !== undefined ? Date.now() + wait : undefined);
  }, [failure, willRetry]);
  return at;
}

function ErrorNotice({ title, error, children }: { title: string; error: ConnectionsError; children?: ReactNode }) {
  return (
    <div role="alert" className="notice error" data-code={error.code}>
      <strong>{title}</strong>
      <p className="message">{error.message}</p>
      <p className="trace">
        Trace ID: <code>{error.traceId ?? 'none'}</code>
        {error.code ? <> · {error.code}</> : null}
      </p>
      {children}
    </div>
  );
}

function WaitNotice({ error, retryAt }: { error: ConnectionsError; retryAt: number }) {
  const seconds = useSecondsUntil(retryAt);
  return (
    <ErrorNotice title={error.status === 429 ? 'Too many requests' : 'Temporarily unavailable'} error={error}>
      <p className="retry" role="status">
        Trying again in {seconds} s, as the server asked.
      </p>
    </ErrorNotice>
  );
}

function ConnectionRow({ connection, onToggle, busy }: { connection: ConnectionSummary; onToggle: () => void; busy: boolean }) {
  const nameId = useId();
  const on = connection.is_active;
  return (
    <li className="connection" data-id={connection.id}>
      <div className="who">
        <span className="name" id={nameId}>
          {connection.display_name}
        </span>
        <span className="email">{connection.account_email ?? 'no email on record'}</span>
      </div>
      <span className={`status ${on ? 'on' : 'off'}`}>{on ? 'Active' : 'Turned off'}</span>
      <button type="button" className="switch" role="switch" aria-checked={on} aria-labelledby={nameId} aria-busy={busy} onClick={onToggle}>
        <span aria-hidden="true">{on ? 'On' : 'Off'}</span>
      </button>
    </li>
  );
}

export function ConnectionsPage({ hooks, tool, organization, devPanel }: Props) {
  const list = hooks.useConnections(tool, organization);
  const toggle = hooks.useSetConnectionActive();
  const failure = list.failureReason;
  const retryAt = useRetryAt(failure, list.isFetching && failure !== null);
  const toggleRetryAt = useRetryAt(toggle.failureReason, toggle.isPending && toggle.failureReason !== null);

  // The first render of the list, for the performance budget (reported by the browser test).
  const listed = list.isSuccess;
  useEffect(() => {
    if (listed && performance.getEntriesByName('connections-listed').length === 0) performance.mark('connections-listed');
  }, [listed]);

  let body: ReactNode;
  if (failure && retryAt !== undefined && !list.data) {
    body = <WaitNotice error={failure} retryAt={retryAt} />;
  } else if (list.isPending) {
    body = (
      <p role="status" className="notice">
        Loading connections…
      </p>
    );
  } else if (list.isError) {
    body = (
      <ErrorNotice title="Could not load the connections" error={list.error}>
        <button type="button" onClick={() => void list.refetch()}>
          Try again
        </button>
      </ErrorNotice>
    );
  } else if (list.data.connections.length === 0) {
    body = (
      <p role="status" className="notice empty">
        No {tool} connections in this organization yet.
      </p>
    );
  } else {
    const pending = toggle.isPending ? toggle.variables?.params.path.credential_id : undefined;
    body = (
      <ul className="connections" aria-label={`${tool} connections`}>
        {list.data.connections.map((connection) => (
          <ConnectionRow
            key={connection.id}
            connection={connection}
            busy={pending === connection.id}
            onToggle={() => toggle.mutate({ params: { path: { credential_id: connection.id } }, body: { is_active: !connection.is_active } })}
          />
        ))}
      </ul>
    );
  }

  const toggled = toggle.variables && list.data?.connections.find((c) => c.id === toggle.variables!.params.path.credential_id);
  return (
    <main>
      <header>
        <h1>Personal connectors</h1>
        <p className="context">
          Tool <code>{tool}</code> · organization <code>{organization}</code>
        </p>
      </header>
      {devPanel}
      {toggle.failureReason && toggleRetryAt !== undefined ? <WaitNotice error={toggle.failureReason} retryAt={toggleRetryAt} /> : null}
      {toggle.isError ? (
        <ErrorNotice title={`Could not turn ${toggled?.display_name ?? 'the connection'} ${toggle.variables?.body.is_active ? 'on' : 'off'}`} error={toggle.error}>
          <button type="button" onClick={() => toggle.reset()}>
            Dismiss
          </button>
        </ErrorNotice>
      ) : null}
      {list.data && failure && retryAt !== undefined ? <WaitNotice error={failure} retryAt={retryAt} /> : null}
      {body}
    </main>
  );
}
