/**
 * deploy/kubernetes/, validated with kubernetes-models and cross-checked against the server's
 * configuration schema: probes, ports, variable names and values, secrets, and the policies
 * around the Deployment.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Namespace, Service, type IContainer, type IService } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS_JSON, deployDir, readYamlDocuments, serverConfig, type ServerConfigModule } from './support.js';

const dir = path.join(deployDir, 'kubernetes');
const kustomization = readYamlDocuments(path.join(dir, 'kustomization.yaml'))[0] as { namespace: string; resources: string[] };
const manifests = kustomization.resources.flatMap((file) => readYamlDocuments(path.join(dir, file))) as Array<{ apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }>;
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};
const one = <T>(kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
};
const deployment = () => one<IDeployment>('Deployment');
const pod = () => deployment().spec!.template;
const container = (): IContainer => {
  const containers = pod().spec!.containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
};
const literalEnv = () => Object.fromEntries((container().env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

let config: ServerConfigModule;
beforeAll(async () => {
  config = await serverConfig();
});

describe('deploy/kubernetes', () => {
  it('lists every manifest in its kustomization, and each validates with kubernetes-models', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const manifest of manifests) {
      const Model = models[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(() => new Model!(manifest as never).validate(), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
      if (manifest.kind !== 'Namespace') expect(manifest.metadata.namespace).toBe(kustomization.namespace);
    }
    // The models do refuse a malformed manifest.
    const broken = structuredClone(deployment()) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(() => new Deployment(broken as never).validate()).toThrow();
  });

  it('leaves the replica count to the autoscaler, and probes /healthz of the port the server listens on', () => {
    // A count in the Deployment would reset a scaled-out Deployment at each apply.
    expect(deployment().spec!.replicas).toBeUndefined();
    const c = container();
    const port = Number(literalEnv().PORT);
    expect(config.environment.shape.PORT!.safeParse(literalEnv().PORT).success).toBe(true);
    const http = c.ports!.find((p) => p.name === 'http')!;
    expect(http.containerPort).toBe(port);
    const probePort = (probe: typeof c.livenessProbe) => {
      const target = probe!.httpGet!.port;
      return typeof target === 'number' ? target : c.ports!.find((p) => p.name === target)!.containerPort;
    };
    expect(c.livenessProbe!.httpGet!.path).toBe('/healthz');
    // Not /readyz: the replicas share its dependencies, whose trouble would empty the Service at once.
    expect(c.readinessProbe!.httpGet!.path).toBe('/healthz');
    // The server listens only once migrations are applied: the startup probe waits for that.
    expect(c.startupProbe!.httpGet!.path).toBe('/healthz');
    expect(c.startupProbe!.periodSeconds! * c.startupProbe!.failureThreshold!).toBeGreaterThanOrEqual(120);
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(probePort(probe)).toBe(port);
    const annotations = pod().metadata!.annotations!;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(annotations['prometheus.io/path']).toBe('/metrics');
    expect(Number(annotations['prometheus.io/port'])).toBe(port);
  });

  it('gives the server time to drain: the grace period outlasts preStop, SHUTDOWN_TIMEOUT_MS and its margin', () => {
    const shutdownMs = config.environment.shape.SHUTDOWN_TIMEOUT_MS!.safeParse(literalEnv().SHUTDOWN_TIMEOUT_MS).success ? Number(literalEnv().SHUTDOWN_TIMEOUT_MS) : NaN;
    const preStop = container().lifecycle?.preStop?.exec?.command ?? [];
    const preStopMs = preStop[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
    expect(pod().spec!.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(preStopMs + shutdownMs + 5_000);
  });

  it('runs non-root, on a read-only root file system, without privilege escalation or capabilities, with resources', () => {
    const podSecurity = pod().spec!.securityContext!;
    expect(podSecurity.runAsNonRoot).toBe(true);
    expect(podSecurity.runAsUser).toBeGreaterThan(0);
    const security = container().securityContext!;
    expect(security.readOnlyRootFilesystem).toBe(true);
    expect(security.allowPrivilegeEscalation).toBe(false);
    expect(security.privileged).toBe(false);
    expect(security.capabilities!.drop).toEqual(['ALL']);
    expect(pod().spec!.automountServiceAccountToken).toBe(false);
    const resources = container().resources!;
    for (const kind of ['cpu', 'memory']) expect(resources.requests?.[kind], kind).toBeDefined();
    expect(resources.limits?.memory).toBeDefined();
    // No volume is writable: with DATABASE_URL the server writes nowhere.
    for (const mount of container().volumeMounts ?? []) expect(mount.readOnly, mount.name).toBe(true);
  });

  it('reads only variables the server knows, its secrets from Secrets, and passes the production checks', () => {
    const env = container().env!;
    const names = Object.keys(config.environment.shape);
    for (const variable of env) expect(names, variable.name).toContain(variable.name);
    for (const [name, value] of Object.entries(literalEnv())) expect(config.environment.shape[name]!.safeParse(value).success, `${name}=${value}`).toBe(true);
    const fromSecrets = env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
    expect(fromSecrets.sort()).toEqual(['COMPOSIO_API_KEY', 'DATABASE_URL', 'REDIS_ENCRYPTION_KEY', 'REDIS_URL']);
    expect(literalEnv().NODE_ENV).toBe('production');

    // API_KEYS_FILE is a file of a Secret volume, mounted read-only.
    const file = literalEnv().API_KEYS_FILE!;
    const mount = container().volumeMounts!.find((m) => file.startsWith(`${m.mountPath}/`))!;
    expect(mount.readOnly).toBe(true);
    const volume = pod().spec!.volumes!.find((v) => v.name === mount.name)!;
    expect(volume.secret?.secretName).toBeTruthy();
    expect(volume.secret!.items!.map((i) => i.path)).toContain(path.relative(mount.mountPath, file));

    // The environment as the pod sees it once the Secrets are filled in: the server accepts it.
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'connector-credentials-keys-'));
    try {
      writeFileSync(path.join(scratch, 'api-keys.json'), API_KEYS_JSON);
      const secrets: Record<string, string> = {
        DATABASE_URL: 'postgres://credentials:secret@postgresql:5432/credentials',
        REDIS_URL: 'redis://:secret@redis:6379',
        REDIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        COMPOSIO_API_KEY: 'a-project-key',
      };
      const loaded = config.loadConfig({ ...literalEnv(), ...secrets, API_KEYS_FILE: path.join(scratch, 'api-keys.json') });
      expect(loaded.port).toBe(Number(literalEnv().PORT));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('exposes the pods through a Service, scales them with an HPA and keeps one through disruptions', () => {
    const labels = pod().metadata!.labels;
    const service = one<IService>('Service');
    expect(matches(service.spec!.selector, labels)).toBe(true);
    const target = service.spec!.ports![0]!.targetPort;
    expect(container().ports!.some((p) => p.name === target || p.containerPort === target)).toBe(true);

    const hpa = one<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    expect(hpa.spec!.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment().metadata!.name });
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec!.maxReplicas).toBeGreaterThan(hpa.spec!.minReplicas!);
    // At the most replicas, one more in a rollout, each with its pool and its listening connection,
    // within PostgreSQL's default 100 connections.
    expect((hpa.spec!.maxReplicas! + 1) * (Number(literalEnv().DATABASE_POOL_SIZE) + 1)).toBeLessThan(100);

    const pdb = one<IPodDisruptionBudget>('PodDisruptionBudget');
    expect(matches(pdb.spec!.selector!.matchLabels, labels)).toBe(true);
    expect(pdb.spec!.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec!.minAvailable).toBeLessThan(hpa.spec!.minReplicas!);
  });

  it('lets traffic in only from namespaces, and out only to PostgreSQL, Redis, DNS and HTTPS (Composio)', () => {
    const policy = one<INetworkPolicy>('NetworkPolicy');
    expect(matches(policy.spec!.podSelector!.matchLabels, pod().metadata!.labels)).toBe(true);
    expect(policy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    for (const rule of policy.spec!.ingress!) {
      expect(rule.from!.length).toBeGreaterThan(0);
      for (const peer of rule.from!) {
        expect(Object.keys(peer)).toEqual(['namespaceSelector']);
        expect(Object.keys(peer.namespaceSelector!.matchLabels!)).toEqual(['kubernetes.io/metadata.name']);
      }
      expect(rule.ports!.map((p) => p.port)).toEqual(['http']);
    }
    const egress = policy.spec!.egress!.flatMap((rule) => {
      expect(rule.to!.length).toBeGreaterThan(0);
      return rule.ports!.map((p) => `${p.port}/${p.protocol}`);
    });
    expect(egress.sort()).toEqual(['443/TCP', '5432/TCP', '53/TCP', '53/UDP', '6379/TCP'].sort());
  });
});
