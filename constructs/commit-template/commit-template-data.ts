import { GoMap, GoSlice, GoStruct, GoType, GoValue, StructType, T_STRING } from './go-values';

/**
 * The data a commit message template gets: Flux's `TemplateData` (image-automation-controller,
 * `internal/source`), field for field, so a template works the same in FluxOps and in Flux:
 *
 * ```go
 * type TemplateData struct {
 *   AutomationObject struct{ Name, Namespace string } // prints as "namespace/name"
 *   Changed          update.Result                    // .FileChanges, .Changes, .Objects
 *   Values           map[string]string
 * }
 * type Change struct { OldValue, NewValue, Setter string }
 * ```
 */

const NAMESPACED_NAME: StructType = {
  kind: 'struct',
  name: 'types.NamespacedName',
  fields: [
    { name: 'Namespace', type: T_STRING },
    { name: 'Name', type: T_STRING },
  ],
  methods: { String: T_STRING },
  stringer: true,
};

const TYPE_META: StructType = {
  kind: 'struct',
  name: 'yaml.TypeMeta',
  fields: [
    { name: 'APIVersion', type: T_STRING },
    { name: 'Kind', type: T_STRING },
  ],
  methods: {},
};

const NAME_META: StructType = {
  kind: 'struct',
  name: 'yaml.NameMeta',
  fields: [
    { name: 'Name', type: T_STRING },
    { name: 'Namespace', type: T_STRING },
  ],
  methods: {},
};

const RESOURCE_IDENTIFIER: StructType = {
  kind: 'struct',
  name: 'yaml.ResourceIdentifier',
  fields: [
    { name: 'TypeMeta', type: TYPE_META, embedded: true },
    { name: 'NameMeta', type: NAME_META, embedded: true },
  ],
  methods: {},
};

const OBJECT_IDENTIFIER: StructType = {
  kind: 'struct',
  name: 'update.ObjectIdentifier',
  fields: [{ name: 'ResourceIdentifier', type: RESOURCE_IDENTIFIER, embedded: true }],
  methods: {},
};

const CHANGE: StructType = {
  kind: 'struct',
  name: 'update.Change',
  fields: [
    { name: 'OldValue', type: T_STRING },
    { name: 'NewValue', type: T_STRING },
    { name: 'Setter', type: T_STRING },
  ],
  methods: {},
};

const CHANGES: Extract<GoType, { kind: 'slice' }> = { kind: 'slice', elem: CHANGE };
const OBJECT_CHANGES: Extract<GoType, { kind: 'map' }> = { kind: 'map', name: 'update.ObjectChanges', key: OBJECT_IDENTIFIER, elem: CHANGES };
const FILE_CHANGES: Extract<GoType, { kind: 'map' }> = { kind: 'map', key: T_STRING, elem: OBJECT_CHANGES };
const VALUES: Extract<GoType, { kind: 'map' }> = { kind: 'map', key: T_STRING, elem: T_STRING };

const RESULT: StructType = {
  kind: 'struct',
  name: 'update.Result',
  fields: [{ name: 'FileChanges', type: FILE_CHANGES }],
  methods: { Changes: CHANGES, Objects: OBJECT_CHANGES },
};

/** The type of the template data, for checking templates before they run. */
export const COMMIT_TEMPLATE_DATA_TYPE: StructType = {
  kind: 'struct',
  name: 'source.TemplateData',
  fields: [
    { name: 'AutomationObject', type: NAMESPACED_NAME },
    { name: 'Changed', type: RESULT },
    { name: 'Values', type: VALUES },
  ],
  methods: {},
};

/** The object a change was made in (Flux's ObjectIdentifier). */
export interface CommitTemplateObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** One changed value, as the template sees it. */
export interface CommitTemplateChange {
  /** File the change is in, relative to the repository root. */
  readonly file: string;
  /** The object in that file. */
  readonly object?: CommitTemplateObject;
  /** Value before (`""` when there was none). */
  readonly oldValue: string;
  /** Value after (`""` when it was removed). */
  readonly newValue: string;
  /** Setter that caused it (`flux-system:gateway`, `flux-system:gateway:tag`). */
  readonly setter: string;
}

/** Everything the template data is built from. */
export interface CommitTemplateInput {
  /** The ImageUpdateAutomation. */
  readonly automation: { readonly name: string; readonly namespace: string };
  /** Changes in the order `.Changed.Changes` lists them (FluxOps: by file, then position). */
  readonly changes: readonly CommitTemplateChange[];
  /** `.Values` (Flux's `messageTemplateValues`). */
  readonly values?: Readonly<Record<string, string>>;
}

function objectIdentifier(o: CommitTemplateObject | undefined): GoStruct {
  return new GoStruct(OBJECT_IDENTIFIER, {
    ResourceIdentifier: new GoStruct(RESOURCE_IDENTIFIER, {
      TypeMeta: new GoStruct(TYPE_META, { APIVersion: o?.apiVersion ?? '', Kind: o?.kind ?? '' }),
      NameMeta: new GoStruct(NAME_META, { Name: o?.name ?? '', Namespace: o?.namespace ?? '' }),
    }),
  });
}

function change(c: CommitTemplateChange): GoStruct {
  return new GoStruct(CHANGE, { OldValue: c.oldValue, NewValue: c.newValue, Setter: c.setter });
}

/** Groups changes by object (equal identifiers share an entry, in first-seen order). */
function objectChanges(changes: readonly CommitTemplateChange[]): GoMap {
  const entries: [GoStruct, GoStruct[]][] = [];
  for (const c of changes) {
    const id = objectIdentifier(c.object);
    const existing = entries.find(([k]) => JSON.stringify(keyOf(k)) === JSON.stringify(keyOf(id)));
    if (existing) existing[1].push(change(c));
    else entries.push([id, [change(c)]]);
  }
  return new GoMap(
    OBJECT_CHANGES,
    entries.map(([k, v]) => [k, new GoSlice(CHANGES, v)]),
  );
}

function keyOf(id: GoStruct): unknown {
  const r = id.fields.ResourceIdentifier as GoStruct;
  return [(r.fields.TypeMeta as GoStruct).fields, (r.fields.NameMeta as GoStruct).fields];
}

/** Builds the template data for a set of changes. */
export function commitTemplateData(input: CommitTemplateInput): GoValue {
  const files = [...new Set(input.changes.map((c) => c.file))];
  const fileChanges = new GoMap(
    FILE_CHANGES,
    files.map((f) => [f, objectChanges(input.changes.filter((c) => c.file === f))]),
  );
  const result = new GoStruct(
    RESULT,
    { FileChanges: fileChanges },
    {
      // Flux dedupes identical changes; its order comes from Go map iteration (random), FluxOps keeps input order.
      Changes: () => {
        const seen = new Set<string>();
        const out: GoStruct[] = [];
        for (const c of input.changes) {
          const k = JSON.stringify([c.oldValue, c.newValue, c.setter]);
          if (!seen.has(k)) {
            seen.add(k);
            out.push(change(c));
          }
        }
        return new GoSlice(CHANGES, out);
      },
      Objects: () => objectChanges(input.changes),
    },
  );
  const { name, namespace } = input.automation;
  const automation = new GoStruct(NAMESPACED_NAME, { Namespace: namespace, Name: name }, { String: () => `${namespace}/${name}` });
  return new GoStruct(COMMIT_TEMPLATE_DATA_TYPE, {
    AutomationObject: automation,
    Changed: result,
    Values: new GoMap(
      VALUES,
      Object.entries(input.values ?? {}).map(([k, v]) => [k, v]),
    ),
  });
}
