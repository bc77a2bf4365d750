import { countObjectActions, ReconcilerMetrics } from '../../../reconciler/status';
import { parsePrometheusText, sampleValue } from '../../support/prometheus-text';

describe('ReconcilerMetrics', () => {
  it('records runs, objects, last success, git checks, suspension and image scans per site', async () => {
    const m = new ReconcilerMetrics({ processMetrics: false });
    m.recordReconcile({ site: 'factory-a', result: 'success', durationSeconds: 3.2, finishedAt: new Date('2026-05-01T10:00:00Z'), objects: { created: 2, unchanged: 40, configured: 1 } });
    m.recordReconcile({ site: 'factory-a', result: 'failure', durationSeconds: 0.4, finishedAt: new Date('2026-05-01T10:05:00Z'), objects: { failed: 1, unchanged: 3 } });
    m.recordReconcile({ site: 'factory-b', result: 'success', durationSeconds: 700, finishedAt: new Date('2026-05-01T11:00:00Z') });
    m.recordGitCheck({ site: 'factory-a', result: 'unchanged', durationSeconds: 0.08 });
    m.recordGitCheck({ site: 'factory-a', result: 'changed', durationSeconds: 1.5 });
    m.setSuspended('factory-b', true);
    m.recordImageScan({ site: 'factory-a', result: 'success', tagsChosen: 1, tagsRefused: { 'platform-missing': 2, downgrade: 0 } });
    m.recordImageScan({ site: 'factory-a', result: 'failure' });

    const s = parsePrometheusText(await m.metrics());
    const a = { site: 'factory-a' };
    expect(sampleValue(s, 'fluxops_reconcile_runs_total', { ...a, result: 'success' })).toBe(1);
    expect(sampleValue(s, 'fluxops_reconcile_runs_total', { ...a, result: 'failure' })).toBe(1);
    expect(sampleValue(s, 'fluxops_reconcile_duration_seconds_count', { ...a, result: 'success' })).toBe(1);
    expect(sampleValue(s, 'fluxops_reconcile_duration_seconds_sum', { ...a, result: 'success' })).toBeCloseTo(3.2);
    expect(sampleValue(s, 'fluxops_reconcile_duration_seconds_bucket', { ...a, result: 'success', le: '2.5' })).toBe(0);
    expect(sampleValue(s, 'fluxops_reconcile_duration_seconds_bucket', { ...a, result: 'success', le: '5' })).toBe(1);
    expect(sampleValue(s, 'fluxops_reconcile_duration_seconds_bucket', { site: 'factory-b', result: 'success', le: '600' })).toBe(0);
    expect(sampleValue(s, 'fluxops_reconcile_duration_seconds_bucket', { site: 'factory-b', result: 'success', le: '+Inf' })).toBe(1);
    expect(sampleValue(s, 'fluxops_reconcile_objects_total', { ...a, action: 'unchanged' })).toBe(43);
    expect(sampleValue(s, 'fluxops_reconcile_objects_total', { ...a, action: 'created' })).toBe(2);
    expect(sampleValue(s, 'fluxops_reconcile_objects_total', { ...a, action: 'failed' })).toBe(1);
    expect(sampleValue(s, 'fluxops_reconcile_objects_total', { ...a, action: 'deleted' })).toBe(0);
    // The failure at 10:05 does not move the last-success time.
    expect(sampleValue(s, 'fluxops_reconcile_last_success_timestamp_seconds', a)).toBe(Date.parse('2026-05-01T10:00:00Z') / 1000);
    expect(sampleValue(s, 'fluxops_git_check_duration_seconds_count', { ...a, result: 'changed' })).toBe(1);
    expect(sampleValue(s, 'fluxops_suspended', { site: 'factory-b' })).toBe(1);
    expect(sampleValue(s, 'fluxops_suspended', a)).toBe(0);
    expect(sampleValue(s, 'fluxops_image_scans_total', { ...a, result: 'success' })).toBe(1);
    expect(sampleValue(s, 'fluxops_image_scans_total', { ...a, result: 'failure' })).toBe(1);
    expect(sampleValue(s, 'fluxops_image_tags_chosen_total', a)).toBe(1);
    expect(sampleValue(s, 'fluxops_image_tags_refused_total', { ...a, reason: 'platform-missing' })).toBe(2);
    expect(s.samples.some((x) => x.name === 'fluxops_image_tags_refused_total' && x.labels.reason === 'downgrade')).toBe(false);
    expect(s.types.get('fluxops_reconcile_duration_seconds')).toBe('histogram');
    expect(s.types.get('fluxops_reconcile_runs_total')).toBe('counter');
    expect(s.types.get('fluxops_suspended')).toBe('gauge');
    // Every series is ours, prefixed and labelled with the site.
    for (const sample of s.samples) {
      expect(sample.name).toMatch(/^fluxops_/);
      expect(sample.labels.site).toBeDefined();
    }
  });

  it('creates a site\'s series at zero before its first run', async () => {
    const m = new ReconcilerMetrics({ processMetrics: false, sites: ['factory-c'] });
    const s = parsePrometheusText(await m.metrics());
    expect(sampleValue(s, 'fluxops_reconcile_runs_total', { site: 'factory-c', result: 'failure' })).toBe(0);
    expect(sampleValue(s, 'fluxops_suspended', { site: 'factory-c' })).toBe(0);
  });

  it('keeps registries apart and adds prefixed process metrics by default', async () => {
    const one = new ReconcilerMetrics();
    const two = new ReconcilerMetrics();
    one.recordGitCheck({ site: 'x', result: 'failure', durationSeconds: 1 });
    const s2 = parsePrometheusText(await two.metrics());
    expect(s2.samples.some((x) => x.name.startsWith('fluxops_git_check'))).toBe(false);
    expect(s2.samples.some((x) => x.name === 'fluxops_process_resident_memory_bytes' || x.name === 'fluxops_process_cpu_seconds_total')).toBe(true);
    expect(s2.samples.every((x) => x.name.startsWith('fluxops_'))).toBe(true);
  });

  it('counts webhook decisions by source, provider and result', async () => {
    const m = new ReconcilerMetrics({ processMetrics: false });
    m.recordWebhook('factory-a', 'git', { kind: 'ignored', provider: 'github', reason: 'ping', detail: '' });
    m.recordWebhook('factory-a', 'git', { kind: 'ignored', provider: 'github', reason: 'other-branch', detail: '' });
    m.recordWebhook('factory-a', 'registry', { kind: 'accepted', provider: 'harbor', event: [] });
    const s = parsePrometheusText(await m.metrics());
    expect(sampleValue(s, 'fluxops_webhook_deliveries_total', { site: 'factory-a', source: 'git', provider: 'github', result: 'ignored' })).toBe(2);
    expect(sampleValue(s, 'fluxops_webhook_deliveries_total', { source: 'registry', provider: 'harbor', result: 'accepted' })).toBe(1);
  });

  it('clamps negative or non-finite durations to zero', async () => {
    const m = new ReconcilerMetrics({ processMetrics: false });
    m.recordGitCheck({ site: 'x', result: 'failure', durationSeconds: -1 });
    m.recordGitCheck({ site: 'x', result: 'failure', durationSeconds: Number.NaN });
    const s = parsePrometheusText(await m.metrics());
    expect(sampleValue(s, 'fluxops_git_check_duration_seconds_sum', { site: 'x', result: 'failure' })).toBe(0);
    expect(sampleValue(s, 'fluxops_git_check_duration_seconds_count', { site: 'x', result: 'failure' })).toBe(2);
  });
});

describe('countObjectActions', () => {
  it('counts a change set by action, ignoring unknown actions', () => {
    expect(countObjectActions([{ action: 'created' }, { action: 'unchanged' }, { action: 'unchanged' }, { action: 'pruned?' }])).toEqual({ created: 1, unchanged: 2 });
  });
});
