import type { EngineEvent } from '@pulumi/pulumi/automation';

import { ChangeSetRecorder, formatSummary, renderChangeSetText, summarizeChangeSet } from '../../stacks';

const urn = (type: string, name: string) => `urn:pulumi:site::fluxops::fluxops:stacks:SiteStack$kubernetes:yaml/v2:ConfigGroup$${type}::${name}`;
let seq = 0;
const outputs = (op: string, type: string, name: string, props: Record<string, unknown>): EngineEvent => ({
  sequence: seq++,
  timestamp: 0,
  resOutputsEvent: { metadata: { op: op as never, urn: urn(type, name), type, provider: '', new: { type, urn: urn(type, name), id: name, parent: '', inputs: props, outputs: props, provider: '' } } },
});

describe('change sets from Pulumi engine events', () => {
  it('gives one entry per Kubernetes object with its action, and the failures with the server message', () => {
    const rec = new ChangeSetRecorder(false);
    rec.record(outputs('create', 'kubernetes:apps/v1:Deployment', 'edge/web', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'edge' } }));
    rec.record(outputs('same', 'kubernetes:core/v1:ConfigMap', 'edge/cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'edge' } }));
    rec.record(outputs('update', 'kubernetes:core/v1:Service', 'edge/web', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'edge' } }));
    rec.record(outputs('create', 'pulumi:providers:kubernetes', 'site-cluster', {}));
    rec.record(outputs('create', 'kubernetes:yaml/v2:ConfigGroup', 'site', {}));
    const bad = urn('kubernetes:core/v1:Service', 'edge/bad');
    rec.record({ sequence: seq++, timestamp: 0, diagnosticEvent: { urn: bad, message: 'Service "bad" is invalid: spec.ports[0].name: Invalid value: "Not_A_Valid_Name"\n', color: 'never', severity: 'error' } });
    rec.record({ sequence: seq++, timestamp: 0, resOpFailedEvent: { status: 1, steps: 0, metadata: { op: 'create' as never, urn: bad, type: 'kubernetes:core/v1:Service', provider: '', new: { type: 'kubernetes:core/v1:Service', urn: bad, id: '', parent: '', inputs: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: 'edge' } }, outputs: {}, provider: '' } } } });
    const cs = rec.result();
    expect(cs.entries).toEqual([
      expect.objectContaining({ id: 'Deployment/edge/web', action: 'created' }),
      expect.objectContaining({ id: 'ConfigMap/edge/cfg', action: 'unchanged' }),
      expect.objectContaining({ id: 'Service/edge/web', action: 'configured' }),
      expect.objectContaining({ id: 'Service/edge/bad', action: 'failed', message: expect.stringMatching(/spec\.ports\[0\]\.name: Invalid value/) }),
    ]);
    expect(summarizeChangeSet(cs)).toEqual({ created: 1, configured: 1, unchanged: 1, deleted: 0, failed: 1 });
    expect(formatSummary(cs)).toBe('1 created, 1 configured, 1 unchanged, 1 failed');
    expect(renderChangeSetText(cs)).toMatch(/^Deployment\/edge\/web created\nService\/edge\/web configured\nService\/edge\/bad failed \(.*\)\n1 created/);
  });
});
