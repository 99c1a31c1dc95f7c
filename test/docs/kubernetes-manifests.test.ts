/**
 * docs/kubernetes.md is copied into clusters as it stands, so every manifest in it must parse, be
 * a complete object, and name only `leasehold exec` flags and environment variables that exist.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseExecArgs } from '../../packages/cli/src/exec/exec-options.js';

const DOC = new URL('../../docs/kubernetes.md', import.meta.url);

interface Container {
  readonly name?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value?: string }[];
}

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

/** Every container and Tekton step in a manifest, wherever it sits. */
function containersOf(node: unknown): Container[] {
  if (Array.isArray(node)) return node.flatMap(containersOf);
  if (node === null || typeof node !== 'object') return [];
  const found: Container[] = [];
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'containers' || key === 'steps') && Array.isArray(value)) found.push(...(value as Container[]));
    else found.push(...containersOf(value));
  }
  return found;
}

/**
 * The `leasehold` commands a manifest runs, with the arguments the container will see: a Tekton
 * Task's `$(params.name)` is replaced by the param's default, as Tekton does before the step starts
 * (a reference to a param without a default fails the test).
 */
function leaseholdRuns(object: unknown): { kind: string; args: string[] }[] {
  const manifest = object as { kind?: string; spec?: { params?: { name: string; default?: string }[] } };
  const params = new Map((manifest.spec?.params ?? []).map((param) => [param.name, param.default]));
  const substitute = (arg: string): string =>
    arg.replace(/\$\(params\.([\w.-]+)\)/g, (_all, name: string) => {
      const value = params.get(name);
      if (value === undefined) throw new Error(`$(params.${name}) has no default in ${manifest.kind ?? 'a manifest'}`);
      return value;
    });
  return containersOf(object)
    .filter((container) => container.command?.[0] === 'leasehold')
    .map((container) => ({ kind: manifest.kind ?? '', args: (container.args ?? []).map(substitute) }));
}

/** The VAULT_* variables the Vault session reads, taken from its source rather than a list kept here. */
async function vaultVariablesRead(): Promise<Set<string>> {
  const sources = ['../../packages/core/src/vault/session/vault-session.ts', '../../packages/core/src/vault/auth/token.ts'];
  const names = new Set<string>();
  for (const source of sources) {
    const text = await readFile(new URL(source, import.meta.url), 'utf8').catch(() => '');
    for (const match of text.matchAll(/\b(VAULT_[A-Z_]+)\b/g)) names.add(match[1] ?? '');
  }
  return names;
}

describe('docs/kubernetes.md', async () => {
  const markdown = await readFile(DOC, 'utf8');
  const documents = yamlBlocks(markdown).flatMap((block) => parseAllDocuments(block));

  it('holds manifests for every recipe the page promises', () => {
    const kinds = documents.map((document) => (document.toJS() as { kind?: string }).kind);
    for (const kind of ['ExternalSecret', 'SecretProviderClass', 'Deployment', 'ServiceAccount', 'Service', 'Job', 'Task', 'TaskRun']) {
      expect(kinds).toContain(kind);
    }
  });

  it('parses every YAML document without an error or a warning', () => {
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) {
      expect(document.errors).toEqual([]);
      expect(document.warnings).toEqual([]);
    }
  });

  it('gives every object an apiVersion, a kind and a name', () => {
    for (const document of documents) {
      const object = document.toJS() as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
      expect(typeof object.apiVersion, JSON.stringify(object).slice(0, 80)).toBe('string');
      expect(typeof object.kind).toBe('string');
      expect(typeof object.metadata?.name).toBe('string');
    }
  });

  it('wires liveness and readiness probes to /healthz and /readyz on the admin port', () => {
    const probed = documents
      .flatMap((document) => containersOf(document.toJS()))
      .filter((container) => 'readinessProbe' in container) as (Container & Record<string, { httpGet?: { path: string; port: string } }>)[];
    expect(probed.length).toBeGreaterThan(0);
    for (const container of probed) {
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'admin' });
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    }
  });

  it('runs `leasehold exec` only with flags the CLI accepts', () => {
    const jobs = documents.flatMap((document) => leaseholdRuns(document.toJS()));
    expect(jobs.length).toBeGreaterThanOrEqual(2); // the Job and the Tekton Task
    for (const { args } of jobs) {
      const [command, ...rest] = args;
      expect(command).toBe('exec');
      expect(() => parseExecArgs(rest, {})).not.toThrow();
    }
  });

  it('gives Flyway its credential through the Flyway template, in the Job and in the Tekton Task', () => {
    const flyway = documents
      .flatMap((document) => leaseholdRuns(document.toJS()))
      .filter(({ args }) => args.slice(args.indexOf('--') + 1)[0] === 'flyway');
    expect(flyway.map(({ kind }) => kind).sort()).toEqual(['Job', 'Task']);
    for (const { args } of flyway) {
      const options = parseExecArgs(args.slice(1), {});
      if (options.help) throw new Error('the recipe asks for --help');
      expect(options.delivery.templates).toEqual(['flyway']);
      expect(options.delivery.files).toBe(true);
      expect(options.delivery.database?.host).toBeDefined();
      expect(options.credentials.leases).toHaveLength(1);
    }
  });

  it('sets only VAULT_* variables that the Vault session reads', async () => {
    const read = await vaultVariablesRead();
    const set = documents
      .flatMap((document) => containersOf(document.toJS()))
      .flatMap((container) => container.env ?? [])
      .map((variable) => variable.name)
      .filter((name) => name.startsWith('VAULT_'));
    expect(set.length).toBeGreaterThan(0);
    for (const name of set) expect(read, name).toContain(name);
  });

  it('never mounts a secret with subPath, which kubelet does not update', () => {
    expect(markdown).not.toMatch(/^\s*subPath:/m);
  });
});
