/**
 * Image automation's file rewriting: the lock of a large fleet (300 entries), setter markers in
 * a repository of 500 manifests, and the commit message, each against a baseline measured in
 * the same process:
 *
 * - lock: parse + model update + `serializeImageLock` (what a non-byte-exact writer would do);
 * - setters: just parsing the same files with the `yaml` package (the floor for any YAML editor).
 *
 * Goal: one automation run at this size (10 lock updates, all setter files, the message) under
 * 1 s on the 2-core machine, so a Raspberry-Pi-class reconciler stays well under its interval.
 *
 *   npx ts-node --transpile-only bench/lock-rewrite.ts [runs]
 */
import { parseAllDocuments } from 'yaml';
import { DEFAULT_COMMIT_MESSAGE_TEMPLATE, ImageLock, emptyImageLock, parseImageLock, serializeImageLock, withLockEntry } from '../constructs';
import { LockUpdate, renderCommitMessage, updateLockText, updateSetters } from '../reconciler/images/lock';

const RUNS = Number(process.argv[2] ?? 7);
const GOAL_MS = 1000;
const FLEET_ENTRIES = 200;
const SITES = 5;
const SITE_ENTRIES = 20;
const FILES = 500;

const digest = (i: number, salt = 0) => `sha256:${(i * 7919 + salt).toString(16).padStart(64, '0')}`;
const entry = (i: number, tag: string, salt = 0) => ({ image: `registry.local:5000/edge/app-${i}`, tag, digest: digest(i, salt), updatedAt: '2025-11-20T10:00:00Z', platforms: ['linux/arm64'] });

function bigLock(): ImageLock {
  let lock = emptyImageLock();
  for (let i = 0; i < FLEET_ENTRIES; i++) lock = withLockEntry(lock, `app-${String(i).padStart(3, '0')}`, entry(i, '1.0.0'));
  for (let s = 0; s < SITES; s++) for (let i = 0; i < SITE_ENTRIES; i++) lock = withLockEntry(lock, `app-${String(i).padStart(3, '0')}`, entry(i, '0.9.0'), `site-${s}`);
  return lock;
}

function updates(n: number): LockUpdate[] {
  return Array.from({ length: n }, (_, k) => {
    const i = Math.floor((k * FLEET_ENTRIES) / n);
    return { action: 'set', policy: `app-${String(i).padStart(3, '0')}`, entry: entry(i, '1.10', 1) };
  });
}

function manifests(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let f = 0; f < FILES; f++) {
    const i = f % FLEET_ENTRIES;
    files[`clusters/site-${f % SITES}/app-${f}.yaml`] = [
      '# generated manifest',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      `  name: app-${f}`,
      '  namespace: edge-apps',
      'spec:',
      '  replicas: 2',
      '  template:',
      '    metadata:',
      `      labels: {app: app-${f}}`,
      '    spec:',
      '      containers:',
      `      - name: app`,
      `        image: registry.local:5000/edge/app-${i}:1.0.0 # {"$imagepolicy": "flux-system:app-${i}"}`,
      '        ports:',
      '        - containerPort: 8080',
      '        env:',
      '        - name: VERSION',
      `          value: "1.0.0" # {"$imagepolicy": "flux-system:app-${i}:tag"}`,
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      `  name: app-${f}`,
      'spec:',
      '  ports: [{port: 80, targetPort: 8080}]',
      '',
    ].join('\n');
  }
  return files;
}

function median(fn: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

function main(): void {
  const lockText = serializeImageLock(bigLock());
  const files = manifests();
  const images = Object.fromEntries(Array.from({ length: FLEET_ENTRIES }, (_, i) => [`flux-system:app-${i}`, { name: `registry.local:5000/edge/app-${i}`, tag: '1.10', digest: digest(i, 1) }]));
  const settings = { automationName: 'fleet-images', namespace: 'flux-system', messageTemplate: DEFAULT_COMMIT_MESSAGE_TEMPLATE };

  // Warm up (JIT, module loading) before measuring.
  updateLockText(lockText, updates(10), { source: 'bench' });
  updateSetters(files, images);

  const rows: [string, number, number | undefined][] = [];
  for (const n of [1, 10, 100]) {
    const u = updates(n);
    const ours = median(() => updateLockText(lockText, u, { source: 'bench' }));
    const base = median(() => {
      let lock = parseImageLock(lockText, 'bench');
      for (const x of u) if (x.action === 'set') lock = withLockEntry(lock, x.policy, x.entry, x.site);
      serializeImageLock(lock);
    });
    rows.push([`lock, ${n} update${n > 1 ? 's' : ''} (${FLEET_ENTRIES + SITES * SITE_ENTRIES} entries, ${(lockText.length / 1024).toFixed(0)} KiB)`, ours, base]);
  }
  const text = Object.values(files);
  const setters = median(() => updateSetters(files, images));
  const parseOnly = median(() => text.forEach((t) => parseAllDocuments(t)));
  rows.push([`setters, ${FILES} files, ${FILES * 2} markers`, setters, parseOnly]);

  const lockChanges = updateLockText(lockText, updates(10), { source: 'bench' }).changes;
  const setterChanges = updateSetters(files, images).changes;
  const message = median(() => renderCommitMessage(settings, { lock: lockChanges, setters: setterChanges }));
  rows.push([`commit message, ${lockChanges.length + setterChanges.length} changes`, message, undefined]);

  const run = median(() => {
    const l = updateLockText(lockText, updates(10), { source: 'bench' });
    const s = updateSetters(files, images);
    renderCommitMessage(settings, { lock: l.changes, setters: s.changes });
  });

  console.log(`median of ${RUNS} runs, Node ${process.version}`);
  console.log('| step | FluxOps | baseline | ratio |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, ours, base] of rows) console.log(`| ${name} | ${fmt(ours)} | ${base === undefined ? '-' : fmt(base)} | ${base === undefined ? '-' : `${(ours / base).toFixed(2)}x`} |`);
  console.log(`| one automation run (10 lock updates + all setters + message) | ${fmt(run)} | goal ${GOAL_MS} ms | ${(run / GOAL_MS).toFixed(2)} of goal |`);
  console.log(`peak RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`);
}

main();
