import { comparable, diffObjects } from '../../../reconciler/deploy/object-diff';
import { renderDiffMarkdown, renderDiffText } from '../../../reconciler/deploy/render-diff';
import type { SiteDiff } from '../../../reconciler/deploy/diff-site';

const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'edge', resourceVersion: '12', uid: 'u', generation: 3, creationTimestamp: 't', managedFields: [{ manager: 'fluxops' }], labels: { 'app.kubernetes.io/name': 'web' }, annotations: { 'deployment.kubernetes.io/revision': '3' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'r/web:1.0.0' }] } } },
  status: { readyReplicas: 2 },
};

describe('object diff', () => {
  it('ignores what the server and controllers maintain', () => {
    const after = structuredClone(live);
    after.metadata.resourceVersion = '13';
    after.metadata.generation = 4;
    after.metadata.annotations = { 'deployment.kubernetes.io/revision': '4' };
    after.status = { readyReplicas: 1 };
    expect(diffObjects(live, after)).toEqual([]);
    expect(comparable(live).metadata).toEqual({ name: 'web', namespace: 'edge', labels: { 'app.kubernetes.io/name': 'web' } });
  });

  it('names each changed field with its path, also keys with dots', () => {
    const after = structuredClone(live) as typeof live & { metadata: { labels: Record<string, string> } };
    after.spec.template.spec.containers[0].image = 'r/web:1.1.0';
    after.metadata.labels['fluxops.dev/site'] = 'a';
    delete (after.spec as { replicas?: number }).replicas;
    expect(diffObjects(live, after)).toEqual([
      { path: 'metadata.labels["fluxops.dev/site"]', op: 'add', after: 'a' },
      { path: 'spec.replicas', op: 'remove', before: 2 },
      { path: 'spec.template.spec.containers[0].image', op: 'replace', before: 'r/web:1.0.0', after: 'r/web:1.1.0' },
    ]);
  });

  it('never shows Secret values', () => {
    const before = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: 'aHVudGVyMg==' } };
    const after = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: 'bmV3', user: 'dQ==' } };
    const changes = diffObjects(before, after, { secret: true });
    expect(JSON.stringify(changes)).not.toMatch(/aHVudGVyMg|bmV3|dQ==/);
    expect(changes).toEqual([
      { path: 'data.password', op: 'replace', before: '(secret)', after: '(secret)' },
      { path: 'data.user', op: 'add', after: '(secret)' },
    ]);
    expect(JSON.stringify(diffObjects(undefined, after, { secret: true }))).not.toMatch(/bmV3|dQ==/);
  });
});

describe('diff rendering', () => {
  const diff: SiteDiff = {
    objects: [
      { id: 'Deployment/edge/web', ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'edge', name: 'web' }, action: 'update', validated: true, changes: [{ path: 'spec.template.spec.containers[0].image', op: 'replace', before: 'r/web:1.0.0', after: 'r/web:1.1.0' }] },
      { id: 'ConfigMap/edge/c', ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'edge', name: 'c' }, action: 'unchanged', validated: true, changes: [] },
      { id: 'ConfigMap/edge/old', ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'edge', name: 'old' }, action: 'prune', validated: true, changes: [], message: 'no longer in Git' },
    ],
  };
  it('text: one block per changed object, then the summary', () => {
    expect(renderDiffText(diff, { site: 'a', revision: 'abc1234' })).toBe(
      ['site a at abc1234', '~ Deployment/edge/web (update)', '    spec.template.spec.containers[0].image: "r/web:1.0.0" -> "r/web:1.1.0"', '- ConfigMap/edge/old (prune: no longer in Git)', '1 to update, 1 to prune, 1 unchanged'].join('\n'),
    );
  });
  it('markdown: a summary table and collapsible per-object diffs for a pull request', () => {
    const md = renderDiffMarkdown(diff, { site: 'a', revision: 'feature (abc1234)' });
    expect(md).toMatch(/^### FluxOps diff for site `a` at `feature \(abc1234\)`/);
    expect(md).toContain('| update | 1 |');
    expect(md).toContain('| `~` | `Deployment/edge/web` | update |');
    expect(md).toContain('<details><summary><code>~ Deployment/edge/web</code> (1 change)</summary>');
    expect(md).toContain('```diff\n- spec.template.spec.containers[0].image: "r/web:1.0.0"\n+ spec.template.spec.containers[0].image: "r/web:1.1.0"\n```');
  });
});
