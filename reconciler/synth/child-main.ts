/**
 * Entry of the synthesis child process (started by {@link synthesizeIsolated}; never imported).
 * Reads one request on stdin, loads the config repository's fleet with a fresh module cache,
 * checks the lock, synthesizes, and writes one response on fd 3. Runs with an environment that
 * holds no deploy credentials, a throwaway HOME, a heap limit and a time limit set by the parent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  ConstructValidationError,
  Fleet,
  FleetValidationError,
  ImageLock,
  ImageLockError,
  EffectiveHold,
  SynthWarning,
  alertSpecs,
  checkImageLock,
  effectiveHold,
  emptyImageLock,
  lockBadTags,
  parseImageLock,
  synthesize,
} from '../../constructs';
import { FluxOpsError } from '../../errors';
import { intervalMillis } from '../../constructs/validation';
import { FleetLoadError } from './fleet-load-error';
import { loadFleet } from './load-fleet';
import { writeBackSettings } from '../images/git/write-back';
import { AutomationData, PolicyData, PolicyHoldData, RepositoryData, SYNTH_PROTOCOL, SiteSynthData, SynthPayload, SynthProblem, SynthRequest, SynthResponse, SynthStage } from './protocol';

const RESULT_FD = 3;

let responded = false;

/** Writes the one answer; later calls (an exception after answering) are ignored. */
function respond(response: SynthResponse): void {
  if (responded) return;
  responded = true;
  const text = JSON.stringify(response);
  let offset = 0;
  const buf = Buffer.from(text, 'utf8');
  while (offset < buf.length) offset += fs.writeSync(RESULT_FD, buf, offset, buf.length - offset);
  fs.closeSync(RESULT_FD);
}

function fail(stage: SynthStage, err: unknown, configDir: string): SynthResponse {
  const problems = problemsOf(err, configDir);
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    protocol: SYNTH_PROTOCOL,
    ok: false,
    stage,
    error: { name: e.name, code: err instanceof FluxOpsError ? err.code : 'fleet-threw', message: e.message, problems },
  };
}

/** Turns any error of loading or synthesis into problems that name the input. */
function problemsOf(err: unknown, configDir: string): SynthProblem[] {
  if (err instanceof FleetValidationError) {
    return err.problems.map((p) =>
      p.error ? constructProblem(p.error) : { code: 'invalid-fleet', path: p.path, reason: p.message, message: p.message },
    );
  }
  if (err instanceof ConstructValidationError) return [constructProblem(err)];
  if (err instanceof ImageLockError) {
    return [{ code: err.code, field: err.field ?? (err.line !== undefined ? `line ${err.line}` : undefined), reason: err.reason, message: err.message }];
  }
  if (err instanceof FleetLoadError) {
    const cause = err.cause instanceof Error ? err.cause : undefined;
    const where = cause ? fleetFrame(cause, configDir) : undefined;
    const entry = err.entry.startsWith(configDir + path.sep) ? path.relative(configDir, err.entry) : err.entry;
    return [{ code: err.code, reason: err.reason, message: `${entry}: ${err.reason}${where ? ` (at ${where})` : ''}` }];
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const where = fleetFrame(e, configDir);
  return [{ code: 'fleet-threw', reason: `${e.name}: ${e.message}`, message: `${e.name}: ${e.message}${where ? ` (at ${where})` : ''}` }];
}

function constructProblem(e: ConstructValidationError): SynthProblem {
  return { code: e.code, path: e.path, field: e.field, value: jsonSafe(e.value), reason: e.reason, message: e.message };
}

/** The first stack frame inside the config repository, relative to it (`fleet.ts:12:7`). */
function fleetFrame(err: Error, configDir: string): string | undefined {
  for (const line of (err.stack ?? '').split('\n')) {
    const m = /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (m && m[1].startsWith(configDir + path.sep) && !m[1].includes(`${path.sep}node_modules${path.sep}`)) {
      return `${path.relative(configDir, m[1])}:${m[2]}:${m[3]}`;
    }
  }
  return undefined;
}

function jsonSafe(v: unknown): unknown {
  try {
    return v === undefined ? undefined : JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)));
  } catch {
    return String(v);
  }
}

function holdData(h: EffectiveHold): PolicyHoldData {
  return { tag: h.tag, reason: h.reason, source: h.source, ...(h.since !== undefined ? { since: h.since } : {}) };
}

function policiesOf(fleet: Fleet, lock: ImageLock): PolicyData[] {
  return fleet.imagePolicies.map((p) => {
    // The hold in effect (code holds win over lock holds), without a site and per site where it differs.
    const holds: Record<string, PolicyHoldData> = {};
    const everywhere = effectiveHold(p, undefined, lock);
    if (everywhere) holds['*'] = holdData(everywhere);
    for (const s of fleet.sites) {
      const h = effectiveHold(p, s, lock);
      if (h && !(everywhere && h.tag === everywhere.tag && h.reason === everywhere.reason && h.source === everywhere.source)) holds[s.siteName] = holdData(h);
    }
    const badTags = lockBadTags(lock, p.lockKey).map((b) => ({ tag: b.tag, reason: b.reason, since: b.since }));
    return {
      name: p.policyName,
      repository: p.repository.image,
      rule: { ...p.rule },
      ...(p.filterTags ? { filterTags: { ...p.filterTags } } : {}),
      initialTag: p.initialTag,
      platforms: [...p.platforms],
      noDowngrade: p.noDowngrade,
      digestPinning: p.digestPinning,
      holds,
      ...(badTags.length > 0 ? { badTags } : {}),
      ...(p.repository.exclusionList ? { exclusionList: [...p.repository.exclusionList] } : {}),
      insecure: p.repository.insecure,
      rollback: p.rollback === false ? false : { timeoutMs: intervalMillis(p.rollback.timeout) ?? 300_000 },
    };
  });
}

function automationsOf(fleet: Fleet): AutomationData[] {
  return fleet.imageUpdateAutomations.map((a) => {
    const settings = writeBackSettings(a);
    return {
      name: a.automationName,
      policies: a.policies.map((p) => p.policyName),
      repository: a.source.url,
      interval: a.interval,
      settings: JSON.parse(JSON.stringify(settings)) as AutomationData['settings'],
    };
  });
}

function repositoriesOf(fleet: Fleet): RepositoryData[] {
  return fleet.imageRepositories.map((r) => ({
    name: r.repositoryName,
    image: r.image,
    interval: r.interval,
    insecure: r.insecure,
    ...(r.exclusionList ? { exclusionList: [...r.exclusionList] } : {}),
    ...(r.secretRef ? { secretRef: r.secretRef.name } : {}),
  }));
}

function run(req: SynthRequest): SynthResponse {
  let fleet: Fleet;
  try {
    fleet = loadFleet(req.configDir, req.entry ? { entry: req.entry } : {});
  } catch (err) {
    const stage = err instanceof FleetLoadError ? err.stage : 'load';
    // A construct that rejected its props is reported as such (path, field, value), not as a load failure.
    const inner = err instanceof FleetLoadError && (err.cause instanceof ConstructValidationError || err.cause instanceof FleetValidationError) ? err.cause : err;
    return fail(stage, inner, req.configDir);
  }

  // The lock: strict callers (deploys) refuse anything but a valid lock that fits the fleet.
  const lockPath = path.join(req.configDir, req.lockFile);
  const lockWarnings: SynthWarning[] = [];
  const lockProblems: SynthProblem[] = [];
  let lock: ImageLock = emptyImageLock();
  let found = true;
  let text: string | undefined;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return fail('lock', err, req.configDir);
    found = false;
  }
  // A fleet without image policies has nothing to lock: a missing lock file is then no finding at all.
  if (!found && fleet.imagePolicies.length > 0) {
    const reason = `lock file ${req.lockFile} does not exist; deploys need it (an empty lock is "schemaVersion: 1"). Image automation creates and updates it`;
    const problem: SynthProblem = { code: 'lock-missing', field: req.lockFile, reason, message: `${req.lockSource}: ${reason}` };
    if (req.lockMode === 'strict') return { protocol: SYNTH_PROTOCOL, ok: false, stage: 'lock', error: { name: 'ImageLockError', code: 'lock-missing', message: problem.message, problems: [problem] } };
    lockProblems.push(problem);
    lockWarnings.push({ code: 'lock-missing', path: fleet.node.path, message: `${problem.message}; synthesizing with initial tags` });
  } else if (text !== undefined) {
    try {
      lock = parseImageLock(text, req.lockSource);
    } catch (err) {
      if (req.lockMode === 'strict' || !(err instanceof ImageLockError)) return fail('lock', err, req.configDir);
      const [problem] = problemsOf(err, req.configDir);
      lockProblems.push(problem);
      lockWarnings.push({ code: 'lock-invalid', path: fleet.node.path, message: `${err.message}; synthesizing with initial tags` });
    }
  }

  let sites: string[];
  try {
    sites = fleet.sites.map((s) => s.siteName);
    const targets = req.allSites ? (sites.length > 0 ? sites : [undefined]) : [req.site];
    const checked = checkImageLock(fleet, lock, { source: req.lockSource, ...(req.allSites || req.site === undefined ? {} : { site: req.site }) });
    const errors = checked.filter((p) => p.severity === 'error');
    const asProblem = (p: (typeof checked)[number]): SynthProblem => ({ code: p.code, field: p.field, value: p.value, reason: p.reason, message: p.message });
    if (req.lockMode === 'strict' && errors.length > 0) {
      return {
        protocol: SYNTH_PROTOCOL,
        ok: false,
        stage: 'lock',
        error: {
          name: 'ImageLockError',
          code: 'lock-entry-invalid',
          message: `${errors.length} lock entr${errors.length === 1 ? 'y breaks its policy' : 'ies break their policies'}`,
          problems: errors.map(asProblem),
        },
      };
    }
    for (const p of checked) {
      lockProblems.push(asProblem(p));
      lockWarnings.push({ code: 'lock-problem', path: fleet.node.path, message: p.message });
    }
    const results: SiteSynthData[] = targets.map((site) => {
      const r = synthesize(fleet, { ...(site !== undefined ? { site } : {}), flavor: req.flavor, lock });
      return {
        ...(r.site !== undefined ? { site: r.site } : {}),
        flavor: r.flavor,
        objects: r.objects.map((o) => ({
          order: o.order,
          apiVersion: o.apiVersion,
          kind: o.kind,
          ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
          name: o.name,
          origin: o.origin,
          fileName: o.fileName,
          manifest: o.manifest as Record<string, unknown>,
          yaml: o.yaml,
        })),
        yaml: r.yaml,
        warnings: [...lockWarnings, ...r.warnings],
        images: r.images,
      };
    });
    const payload: SynthPayload = { fleet: fleet.fleetName, sites, results, policies: policiesOf(fleet, lock), alerts: alertSpecs(fleet), automations: automationsOf(fleet), repositories: repositoriesOf(fleet), lock: { found, problems: lockProblems } };
    return { protocol: SYNTH_PROTOCOL, ok: true, payload };
  } catch (err) {
    return fail('synthesize', err, req.configDir);
  }
}

function main(): void {
  const input = fs.readFileSync(0, 'utf8');
  let req: SynthRequest;
  try {
    req = JSON.parse(input) as SynthRequest;
    if (req.protocol !== SYNTH_PROTOCOL) throw new Error(`unsupported protocol ${String(req.protocol)}`);
  } catch (err) {
    respond(fail('load', err, '/'));
    return;
  }
  // The child was spawned before its request (a warm pool): work in the checkout from now on.
  try {
    process.chdir(req.configDir);
  } catch (err) {
    respond(fail('load', err, req.configDir));
    return;
  }
  process.on('uncaughtException', (err) => {
    respond(fail('build', err, req.configDir));
    process.exit(70);
  });
  // A promise the fleet let fail in the background (`void loadInventory()` that rejects) means
  // its result is not what the author meant; Node reports it only after the synchronous build
  // returned, so collect it and answer one turn of the event loop later.
  let rejection: { readonly reason: unknown } | undefined;
  process.on('unhandledRejection', (reason) => {
    rejection ??= { reason };
  });
  const response = run(req);
  setImmediate(() => {
    if (rejection && response.ok) {
      const err = rejection.reason instanceof Error ? rejection.reason : new Error(`a promise was rejected with ${String(rejection.reason)}`);
      const wrapped = new Error(`unhandled promise rejection: ${err.message}`, { cause: err });
      // Keep the fleet's own frames, so the problem names the fleet file and line.
      wrapped.stack = `Error: ${wrapped.message}\n${(err.stack ?? '').split('\n').slice(1).join('\n')}`;
      respond(fail('build', wrapped, req.configDir));
    } else {
      respond(response);
    }
  });
}

main();
