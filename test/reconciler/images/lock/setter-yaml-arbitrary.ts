import fc from 'fast-check';

/**
 * Generates YAML files shaped like Kubernetes manifests and Helm values, with setter markers
 * (and look-alikes) in every position that matters for comment attachment: end of a value's
 * line, alone above a value, above a key, after a key, after a flow collection, inside
 * multi-line flow sequences, after blank lines, below other comments, on anchored values.
 * Used to compare FluxOps's marker detection with Flux's own (kyaml/yaml.v3) on the same text.
 */

export type CommentKind = 'marker' | 'marker-tag' | 'unknown' | 'plain' | 'malformed';

export type GenValue =
  | { kind: 'scalar'; text: string; quote: 'plain' | 'single' | 'double'; line?: CommentKind; head: CommentKind[]; blank: 'none' | 'before' | 'after'; anchor: boolean; nextLine: boolean }
  | { kind: 'map'; entries: GenEntry[] }
  | { kind: 'seq'; items: GenValue[]; style: 'indented' | 'indentless' }
  | { kind: 'flow'; items: { text: string; line?: CommentKind; head: CommentKind[] }[]; multiline: boolean; trailing?: CommentKind };

export interface GenEntry {
  readonly key: string;
  readonly value: GenValue;
  readonly keyLine?: CommentKind;
  readonly keyHead: CommentKind[];
  readonly blankBefore: boolean;
}

export interface GenFile {
  readonly docs: GenEntry[][];
  readonly crlf: boolean;
  readonly bom: boolean;
  readonly leadingSeparator: boolean;
}

const COMMENTS: Record<CommentKind, string> = {
  marker: '# {"$imagepolicy": "ns:p"}',
  'marker-tag': '# {"$imagepolicy": "ns:p:tag"}',
  unknown: '# {"$imagepolicy": "ns:other"}',
  plain: '# a note',
  malformed: '# {"$imagepolicy": "ns:p"} please',
};

const commentArb = fc.constantFrom<CommentKind>('marker', 'marker', 'marker-tag', 'unknown', 'plain', 'malformed');
const optComment = fc.option(commentArb, { nil: undefined, freq: 2 });
const headArb = fc.oneof({ weight: 3, arbitrary: fc.constant([] as CommentKind[]) }, { weight: 2, arbitrary: fc.array(commentArb, { minLength: 1, maxLength: 2 }) });
const keyArb = fc.constantFrom('image', 'name', 'tag', 'repository', 'app', 'x');
const textArb = fc.constantFrom('registry.local:5000/edge/app:1.0', 'r/app:v1', 'v1', '1.0', 'app');

const scalarArb: fc.Arbitrary<GenValue> = fc.record({
  kind: fc.constant('scalar' as const),
  text: textArb,
  quote: fc.constantFrom('plain' as const, 'plain' as const, 'single' as const, 'double' as const),
  line: optComment,
  head: headArb,
  blank: fc.constantFrom('none' as const, 'none' as const, 'before' as const, 'after' as const),
  anchor: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  nextLine: fc.boolean(),
});

const flowArb: fc.Arbitrary<GenValue> = fc.record({
  kind: fc.constant('flow' as const),
  items: fc.array(fc.record({ text: textArb, line: optComment, head: headArb }), { minLength: 1, maxLength: 3 }),
  multiline: fc.boolean(),
  trailing: optComment,
});

const { value: valueArb } = fc.letrec<{ value: GenValue; map: GenValue; seq: GenValue; entry: GenEntry }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarArb, scalarArb, tie('map'), tie('seq'), flowArb),
  map: fc.record({ kind: fc.constant('map' as const), entries: fc.uniqueArray(tie('entry'), { minLength: 1, maxLength: 3, selector: (e) => e.key }) }),
  seq: fc.record({
    kind: fc.constant('seq' as const),
    items: fc.array(fc.oneof({ depthSize: 'small' }, scalarArb, scalarArb, tie('map')), { minLength: 1, maxLength: 3 }),
    style: fc.constantFrom('indented' as const, 'indentless' as const),
  }),
  entry: fc.record({ key: keyArb, value: tie('value'), keyLine: optComment, keyHead: headArb, blankBefore: fc.boolean() }),
}));

const docArb = fc.uniqueArray(
  fc.record({ key: keyArb, value: valueArb, keyLine: optComment, keyHead: headArb, blankBefore: fc.boolean() }),
  { minLength: 1, maxLength: 4, selector: (e) => e.key },
);

export const genFileArb: fc.Arbitrary<GenFile> = fc.record({
  docs: fc.array(docArb, { minLength: 1, maxLength: 2 }),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  leadingSeparator: fc.boolean(),
});

function quote(text: string, q: 'plain' | 'single' | 'double'): string {
  return q === 'single' ? `'${text}'` : q === 'double' ? JSON.stringify(text) : text;
}

const lc = (c: CommentKind | undefined) => (c ? ` ${COMMENTS[c]}` : '');

/** Renders a generated file to YAML text. */
export function renderGenFile(file: GenFile): string {
  const lines: string[] = [];
  const sp = (n: number) => ' '.repeat(n);
  const heads = (kinds: readonly CommentKind[], col: number) => kinds.forEach((k) => lines.push(`${sp(col)}${COMMENTS[k]}`));

  // `prefix` is what precedes the value on its first line (`key:` or `- `); `col` the value's indentation.
  const entries = (es: readonly GenEntry[], col: number, firstPrefix?: string) => {
    es.forEach((e, i) => {
      const lead = i === 0 && firstPrefix !== undefined ? firstPrefix : sp(col);
      if (!(i === 0 && firstPrefix !== undefined)) {
        if (e.blankBefore) lines.push('');
        heads(e.keyHead, col);
      }
      value(e.value, `${lead}${e.key}:`, col, e.keyLine);
    });
  };

  const value = (v: GenValue, prefix: string, col: number, keyLine: CommentKind | undefined) => {
    switch (v.kind) {
      case 'scalar': {
        const text = `${v.anchor ? '&a ' : ''}${quote(v.text, v.quote)}`;
        if (v.nextLine) {
          lines.push(`${prefix}${lc(keyLine)}`);
          if (v.blank === 'before') lines.push('');
          heads(v.head, col + 2);
          if (v.blank === 'after') lines.push('');
          lines.push(`${sp(col + 2)}${text}${lc(v.line)}`);
        } else {
          lines.push(`${prefix} ${text}${lc(v.line)}`);
        }
        return;
      }
      case 'map':
        lines.push(`${prefix}${lc(keyLine)}`);
        entries(v.entries, col + 2);
        return;
      case 'seq': {
        lines.push(`${prefix}${lc(keyLine)}`);
        const dash = v.style === 'indented' ? col + 2 : col;
        for (const item of v.items) {
          if (item.kind === 'scalar') {
            if (item.blank === 'before') lines.push('');
            heads(item.head, dash);
            if (item.blank === 'after') lines.push('');
            lines.push(`${sp(dash)}- ${item.anchor ? '&a ' : ''}${quote(item.text, item.quote)}${lc(item.line)}`);
          } else if (item.kind === 'map') {
            entries(item.entries, dash + 2, `${sp(dash)}- `);
          }
        }
        return;
      }
      case 'flow': {
        if (!v.multiline) {
          lines.push(`${prefix} [${v.items.map((i) => i.text).join(', ')}]${lc(v.trailing ?? keyLine)}`);
          return;
        }
        lines.push(`${prefix} [${lc(keyLine)}`);
        v.items.forEach((item, i) => {
          heads(item.head, col + 2);
          lines.push(`${sp(col + 2)}${item.text}${i < v.items.length - 1 ? ',' : ''}${lc(item.line)}`);
        });
        lines.push(`${sp(col + 2)}]${lc(v.trailing)}`);
        return;
      }
    }
  };

  file.docs.forEach((doc, i) => {
    if (i > 0 || file.leadingSeparator) lines.push('---');
    entries(doc, 0);
  });
  const eol = file.crlf ? '\r\n' : '\n';
  return `${file.bom ? '\uFEFF' : ''}${lines.join(eol)}${eol}`;
}
