import { CST, isMap, isScalar } from 'yaml';
import { compareCodePoints } from '../../../constructs/compare-code-points';
import { digestProblem, dnsLabelProblem, dnsSubdomainProblem, imageNameProblem, imageTagProblem } from '../../../constructs/validation';
import { findSetterMarkers } from './find-setter-markers';
import { rewriteScalarToken } from './scalar-style';
import { SetterInputError, SetterYamlError, YamlFileProblem } from './setter-errors';
import { IMAGE_POLICY_SHORTHAND, SETTER_SCREENING_TOKEN, SetterField, parseSetterName } from './setter-marker';
import { TextEdit, applyTextEdits } from './text-edit';
import { Leaf, flattenTokens } from './yaml-leaves';
import { SourceDocument, parseYamlStream } from './yaml-document';
import { YamlSource } from './yaml-source';

/** The image a policy selected, as setters write it. */
export interface SetterImage {
  /** Repository name including the registry host (`registry.local:5000/edge/gateway`). */
  readonly name: string;
  /** Selected tag. */
  readonly tag: string;
  /** Digest of the selected tag, when known (`sha256:...`). */
  readonly digest?: string;
}

/** The Kubernetes object a change is in, when the document has these fields (Flux's ObjectIdentifier). */
export interface SetterObjectRef {
  /** `apiVersion` of the document. */
  readonly apiVersion?: string;
  /** `kind` of the document. */
  readonly kind?: string;
  /** `metadata.name`. */
  readonly name?: string;
  /** `metadata.namespace`. */
  readonly namespace?: string;
}

/** One marked value that changed. */
export interface SetterChange {
  /** Path of the file, as passed in. */
  readonly file: string;
  /** 1-based line of the value (of its anchor or tag, if it has one, as in Flux). */
  readonly line: number;
  /** 1-based column of the value (or of its anchor or tag). */
  readonly column: number;
  /** 0-based index of the YAML document in the file. */
  readonly document: number;
  /** The object the value is in, if the document names one. */
  readonly object?: SetterObjectRef;
  /** The setter named by the marker (`flux-system:gateway:tag`). */
  readonly setter: string;
  /** The policy key (`flux-system:gateway`). */
  readonly policy: string;
  /** What the value holds. */
  readonly field: SetterField;
  /** Value before. */
  readonly from: string;
  /** Value after. */
  readonly to: string;
}

/** Kinds of {@link SetterProblem}. */
export type SetterProblemCode =
  /** The marker names a policy that is not in the image map. */
  | 'unknown-policy'
  /** The setter name is not `ns:policy` or `ns:policy:{tag,name,digest}`. */
  | 'unknown-setter'
  /** The comment mentions `$imagepolicy` but is not a marker Flux can read. */
  | 'malformed-marker'
  /** The marker is on a key, a collection, an alias or a block scalar. */
  | 'marker-not-on-scalar'
  /** The marker is not attached to any value (blank line, other comments, shadowed by a line comment). */
  | 'marker-not-attached'
  /** A `:digest` marker, but the policy's image has no digest. */
  | 'digest-unavailable'
  /** A document in the file is not a mapping, so Flux skips the whole file; FluxOps leaves it unchanged too. */
  | 'not-a-resource-file';

/** A marker that could not be applied: data for the caller to report, never an exception. */
export interface SetterProblem {
  /** What is wrong. */
  readonly code: SetterProblemCode;
  /** Path of the file. */
  readonly file: string;
  /** 1-based line of the marker comment (of the document for `not-a-resource-file`). */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The comment text, when the problem is about one marker. */
  readonly comment?: string;
  /** The setter it names, when readable. */
  readonly setter?: string;
  /** Why, and what to do about it. */
  readonly reason: string;
}

/** Result of {@link updateSetters}. */
export interface SetterUpdate {
  /** New contents of the files that changed (and only those), by path. */
  readonly files: Readonly<Record<string, string>>;
  /** Every value that changed, by file path then position. */
  readonly changes: readonly SetterChange[];
  /** Markers that were not applied, by file path then position. */
  readonly problems: readonly SetterProblem[];
}

/**
 * Applies image policies to Flux setter markers in arbitrary YAML files, for teams coming from
 * Flux: `# {"$imagepolicy": "<namespace>:<policy>"}` on a value sets the whole reference
 * (`name:tag`, plus `@digest` when the current value is pinned by digest and the image has
 * one); the suffixes `:tag`, `:name` and `:digest` set one part. Markers are found where Flux
 * finds them (see {@link findSetterMarkers}); only the marked scalars change, byte for byte.
 *
 * Files without the text `"$imagepolicy"` are not parsed at all (as in Flux). Markers that cannot
 * be applied are returned as problems. Files with markers that are not valid YAML throw one
 * {@link SetterYamlError} listing them all, and then no file changes; malformed arguments throw
 * {@link SetterInputError}.
 */
export function updateSetters(files: Readonly<Record<string, string>>, images: Readonly<Record<string, SetterImage>>): SetterUpdate {
  validateImages(images);
  const paths = Object.keys(files).sort(compareCodePoints);
  const parsed: { path: string; text: string; documents: readonly SourceDocument[]; tokens: readonly CST.Token[] }[] = [];
  const bad: YamlFileProblem[] = [];
  const unscreened: SetterProblem[] = [];
  for (const path of paths) {
    const text = files[path];
    if (typeof text !== 'string') throw new SetterInputError({ input: 'files', key: path, field: 'content', value: text, reason: 'must be the file text (a string)' });
    if (!text.includes(SETTER_SCREENING_TOKEN)) {
      // Flux skips such a file without a word; a marker written `{'$imagepolicy': ...}` or
      // `{$imagepolicy: ...}` then never updates and nobody learns why. Say so (the file stays unread).
      if (text.includes(IMAGE_POLICY_SHORTHAND)) unscreened.push(...unquotedMarkerProblems(path, text));
      continue;
    }
    const { documents, errors, tokens } = parseYamlStream(text);
    if (errors.length > 0) {
      const src = new YamlSource(text);
      const pos = src.position(Math.min(errors[0].pos[0], text.length));
      bad.push({ file: path, line: pos.line, column: pos.column, reason: errors[0].message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') });
      continue;
    }
    parsed.push({ path, text, documents, tokens });
  }
  if (bad.length > 0) throw new SetterYamlError(bad);

  const out: Record<string, string> = {};
  const changes: SetterChange[] = [];
  const problems: SetterProblem[] = [...unscreened];
  for (const file of parsed) {
    const result = updateFile(file.path, file.text, file.documents, file.tokens, images);
    changes.push(...result.changes);
    problems.push(...result.problems);
    if (result.text !== file.text) out[file.path] = result.text;
  }
  // By file path (stable: each file's problems are already in position order).
  problems.sort((a, b) => compareCodePoints(a.file, b.file));
  return { files: out, changes, problems };
}

/**
 * Comments in a file Flux never reads (no `"$imagepolicy"` with double quotes) that still mention
 * `$imagepolicy`: almost always a marker written with single quotes or no quotes. Found by line,
 * without parsing the file (it may not be YAML at all, e.g. a Helm template).
 */
function unquotedMarkerProblems(path: string, text: string): SetterProblem[] {
  const problems: SetterProblem[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const at = line.indexOf(IMAGE_POLICY_SHORTHAND);
    const hash = at < 0 ? -1 : line.lastIndexOf('#', at);
    if (hash < 0) return;
    problems.push({
      code: 'malformed-marker',
      file: path,
      line: i + 1,
      column: hash + 1,
      comment: line.slice(hash),
      reason: `Flux reads a marker only as JSON with double quotes, {"${IMAGE_POLICY_SHORTHAND}": "<namespace>:<policy>"}; this file is not read at all and nothing in it is updated`,
    });
  });
  return problems;
}

function validateImages(images: Readonly<Record<string, SetterImage>>): void {
  for (const [key, image] of Object.entries(images)) {
    const parts = key.split(':');
    const keyProblem =
      parts.length !== 2
        ? 'must be "<namespace>:<policy>"'
        : dnsLabelProblem(parts[0])
          ? `namespace ${dnsLabelProblem(parts[0])}`
          : dnsSubdomainProblem(parts[1])
            ? `policy ${dnsSubdomainProblem(parts[1])}`
            : undefined;
    if (keyProblem) throw new SetterInputError({ input: 'images', key, field: 'key', value: key, reason: keyProblem });
    if (typeof image !== 'object' || image === null) throw new SetterInputError({ input: 'images', key, field: 'image', value: image, reason: 'must be { name, tag, digest? }' });
    const checks: [string, unknown, string | undefined][] = [
      ['name', image.name, imageNameProblem(image.name)],
      ['tag', image.tag, imageTagProblem(image.tag)],
      ['digest', image.digest, image.digest === undefined ? undefined : digestProblem(image.digest)],
    ];
    for (const [field, value, problem] of checks) {
      if (problem) throw new SetterInputError({ input: 'images', key, field, value, reason: problem });
    }
  }
}

function objectRef(doc: SourceDocument | undefined): SetterObjectRef | undefined {
  if (!doc || !isMap(doc.contents)) return undefined;
  const str = (path: string[]) => {
    const v = doc.getIn(path, true);
    return isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
  };
  const ref: SetterObjectRef = {
    ...(str(['apiVersion']) !== undefined ? { apiVersion: str(['apiVersion']) } : {}),
    ...(str(['kind']) !== undefined ? { kind: str(['kind']) } : {}),
    ...(str(['metadata', 'name']) !== undefined ? { name: str(['metadata', 'name']) } : {}),
    ...(str(['metadata', 'namespace']) !== undefined ? { namespace: str(['metadata', 'namespace']) } : {}),
  };
  return Object.keys(ref).length > 0 ? ref : undefined;
}

function newValue(field: SetterField, image: SetterImage, old: string): string | undefined {
  switch (field) {
    case 'image':
      // Keep a digest-pinned reference pinned, and a tag-only one tag-only.
      return `${image.name}:${image.tag}${old.includes('@') && image.digest !== undefined ? `@${image.digest}` : ''}`;
    case 'tag':
      return image.tag;
    case 'name':
      return image.name;
    case 'digest':
      return image.digest;
  }
}

function updateFile(
  path: string,
  text: string,
  documents: readonly SourceDocument[],
  tokens: readonly CST.Token[],
  images: Readonly<Record<string, SetterImage>>,
): { text: string; changes: SetterChange[]; problems: SetterProblem[] } {
  const src = new YamlSource(text);
  const problems: SetterProblem[] = [];
  const at = (leaf: Leaf) => src.position(leaf.offset);
  const commentOf = (leaf: Leaf) => text.slice(leaf.offset, leaf.end).replace(/\r$/, '');

  const notMap = documents.findIndex((d) => d.contents !== null && !isMap(d.contents));
  if (notMap >= 0) {
    const pos = src.position(documents[notMap].contents?.range?.[0] ?? 0);
    return {
      text,
      changes: [],
      problems: [
        {
          code: 'not-a-resource-file',
          file: path,
          ...pos,
          reason: `document ${notMap + 1} is not a mapping; Flux skips files like this, so FluxOps leaves it unchanged too`,
        },
      ],
    };
  }

  const leaves = flattenTokens(tokens);
  const { markers, misplaced } = findSetterMarkers(text, leaves);
  for (const m of misplaced) problems.push({ code: m.code, file: path, ...at(m.comment), comment: commentOf(m.comment), reason: m.reason });

  const edits: TextEdit[] = [];
  const changes: SetterChange[] = [];
  for (const m of markers) {
    const base = { file: path, ...at(m.comment), comment: commentOf(m.comment), setter: m.setter };
    if (m.value.kind === 'alias') {
      problems.push({ ...base, code: 'marker-not-on-scalar', reason: 'it is on an alias (*name); Flux does not follow aliases, so mark the anchored value instead' });
      continue;
    }
    if (m.value.kind === 'block-scalar') {
      problems.push({ ...base, code: 'marker-not-on-scalar', reason: 'it is on a block scalar (| or >); FluxOps only rewrites one-line values' });
      continue;
    }
    const name = parseSetterName(m.setter);
    if (!name) {
      problems.push({ ...base, code: 'unknown-setter', reason: 'the setter must be "<namespace>:<policy>", optionally followed by ":tag", ":name" or ":digest"' });
      continue;
    }
    const image = images[name.policy];
    if (!image) {
      problems.push({ ...base, code: 'unknown-policy', reason: `no image policy "${name.policy}" is being applied` });
      continue;
    }
    const token = m.value.token as CST.FlowScalar;
    const old = CST.resolveAsScalar(token)?.value ?? token.source;
    const value = newValue(name.field, image, old);
    if (value === undefined) {
      problems.push({ ...base, code: 'digest-unavailable', reason: `the image of "${name.policy}" has no digest` });
      continue;
    }
    if (value === old) continue;
    edits.push({ start: token.offset, end: token.offset + token.source.length, text: rewriteScalarToken(token, value, { inFlow: m.value.inFlow, fallback: 'double' }) });
    const object = objectRef(documents[m.value.document]);
    changes.push({
      file: path,
      ...src.position(m.nodeOffset),
      document: m.value.document,
      ...(object ? { object } : {}),
      setter: m.setter,
      policy: name.policy,
      field: name.field,
      from: old,
      to: value,
    });
  }
  const byPosition = (a: { line: number; column: number }, b: { line: number; column: number }) => a.line - b.line || a.column - b.column;
  return { text: applyTextEdits(text, edits), changes: changes.sort(byPosition), problems: problems.sort(byPosition) };
}
