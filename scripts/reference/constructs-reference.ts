import * as path from 'node:path';
import * as ts from 'typescript';

import { escapeCell, GENERATED_NOTICE } from './markdown';

/** The constructs a config repository uses, in the order the reference presents them. */
export const DOCUMENTED_CONSTRUCTS = ['Fleet', 'EdgeApp', 'Site', 'GitSource', 'ImageRepository', 'ImagePolicy', 'ImageUpdateAutomation', 'Alert', 'RawObjects'] as const;

/** Options of {@link renderConstructsReference}. */
export interface ConstructsReferenceOptions {
  /** The FluxOps checkout (holds `constructs/index.ts` and `tsconfig.json`). */
  readonly root: string;
}

/** One property of a props interface, as the TypeScript compiler sees it. */
interface PropDoc {
  readonly name: string;
  readonly optional: boolean;
  /** The type as written in the declaration (not expanded). */
  readonly type: string;
  readonly doc: string;
  readonly defaultValue?: string;
}

/** A named type the props refer to (interface, alias or enum), documented once. */
interface TypeDoc {
  readonly name: string;
  readonly file: string;
  readonly doc: string;
  /** Interfaces: their properties (inherited ones included). */
  readonly props?: readonly PropDoc[];
  /** Type aliases: the aliased type as written. */
  readonly aliasOf?: string;
  /** Other documented types it refers to. */
  readonly refs: readonly string[];
}

/**
 * The constructs reference (`docs/reference/constructs.md`), read from the source with the
 * TypeScript compiler: each construct's TSDoc and constructor, every property of its props
 * (type as written, required or optional, `@default`, description), and every named type those
 * properties use, transitively. Nothing is written by hand, so the page cannot drift from the code.
 */
export function renderConstructsReference(opts: ConstructsReferenceOptions): string {
  const constructsDir = path.join(opts.root, 'constructs');
  const program = ts.createProgram([path.join(constructsDir, 'index.ts')], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(path.join(constructsDir, 'index.ts'));
  if (!index) throw new Error(`cannot read ${path.join(constructsDir, 'index.ts')}`);
  const exported = new Map<string, ts.Symbol>();
  for (const s of checker.getExportsOfModule(checker.getSymbolAtLocation(index)!)) exported.set(s.name, resolveAlias(checker, s));
  const inConstructs = (decl: ts.Declaration) => path.resolve(decl.getSourceFile().fileName).startsWith(constructsDir + path.sep);
  const rel = (decl: ts.Node) => path.relative(opts.root, decl.getSourceFile().fileName).split(path.sep).join('/');

  const types = new Map<string, TypeDoc>();
  const pending: ts.Symbol[] = [];
  /** Named constructs-defined types under `node` (classes excluded: they are documented as constructs). */
  const refsOf = (node: ts.Node | undefined): string[] => {
    const found = new Set<string>();
    const visit = (n: ts.Node) => {
      if (ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n)) {
        const nameNode = ts.isTypeReferenceNode(n) ? n.typeName : n.expression;
        const sym = checker.getSymbolAtLocation(ts.isQualifiedName(nameNode) ? nameNode.right : nameNode);
        const target = sym && resolveAlias(checker, sym);
        const decl = target?.declarations?.[0];
        if (target && decl && inConstructs(decl) && (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl) || ts.isEnumDeclaration(decl))) {
          found.add(target.name);
          if (!types.has(target.name) && !pending.includes(target)) pending.push(target);
        } else if (target && decl && inConstructs(decl) && ts.isClassDeclaration(decl)) {
          found.add(target.name);
        }
      }
      ts.forEachChild(n, visit);
    };
    if (node) visit(node);
    return [...found];
  };
  const propsOf = (type: ts.Type): PropDoc[] =>
    checker.getPropertiesOfType(type).map((p) => {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const typeNode = decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined;
      const defaultTag = p.getJsDocTags(checker).find((t) => t.name === 'default');
      return {
        name: p.name,
        optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
        type: typeNode ? typeText(typeNode) : checker.typeToString(checker.getTypeOfSymbol(p)),
        doc: docText(p, checker),
        ...(defaultTag ? { defaultValue: squash(ts.displayPartsToString(defaultTag.text)) } : {}),
      };
    });
  const describe = (sym: ts.Symbol): TypeDoc => {
    const decl = sym.declarations![0]!;
    const base = { name: sym.name, file: rel(decl), doc: docText(sym, checker) };
    if (ts.isInterfaceDeclaration(decl)) {
      const props = propsOf(checker.getDeclaredTypeOfSymbol(sym));
      const refs = new Set<string>(refsOf(decl));
      return { ...base, props, refs: [...refs].filter((r) => r !== sym.name) };
    }
    if (ts.isTypeAliasDeclaration(decl)) return { ...base, aliasOf: typeText(decl.type), refs: refsOf(decl.type).filter((r) => r !== sym.name) };
    return { ...base, aliasOf: decl.getText().replace(/^export\s+/, ''), refs: [] };
  };

  const out: string[] = [
    '# Constructs reference',
    '',
    GENERATED_NOTICE,
    '',
    "A config repository's `fleet.ts` imports these from `fluxops/constructs` (see",
    '`examples/edge-fleet/fleet.ts`). Props are checked in the constructor: a bad value throws',
    '`ConstructValidationError` naming the construct path, the property and the value; checks that',
    'need the whole fleet run at synthesis (`FleetValidationError`). Types are shown as written in',
    'the source; `?` marks an optional property, and its default is in the last column.',
    '',
    '| construct | what it is for |',
    '| --- | --- |',
  ];
  const sections: string[] = [];
  for (const name of DOCUMENTED_CONSTRUCTS) {
    const sym = exported.get(name);
    const decl = sym?.declarations?.find(ts.isClassDeclaration);
    if (!sym || !decl) throw new Error(`constructs/index.ts does not export the class ${name}`);
    const ctor = decl.members.find(ts.isConstructorDeclaration);
    const params = ctor?.parameters ?? ts.factory.createNodeArray<ts.ParameterDeclaration>();
    const propsParam = params[params.length - 1];
    const doc = docText(sym, checker);
    out.push(`| [\`${name}\`](#${name.toLowerCase()}) | ${escapeCell(firstSentence(doc))} |`);
    const signature = `new ${name}(${params.map((p) => `${p.name.getText()}${p.questionToken || p.initializer ? '?' : ''}: ${p.type ? typeText(p.type) : 'unknown'}`).join(', ')})`;
    sections.push('', `## ${name}`, '', doc, '', '```ts', signature, '```', '', `Source: \`${rel(decl)}\`.`);
    if (name === 'Fleet') sections.push('', 'A config repository does not call `new Fleet` itself: its `fleet.ts` default-exports `defineFleet(props, (fleet) => { ... })` (or `defineFleet((fleet) => { ... })`), which builds a fresh tree on every synthesis.');
    const typeNode = propsParam?.type;
    if (!typeNode) continue;
    const propsType = checker.getTypeFromTypeNode(typeNode);
    const refs = refsOf(typeNode);
    if (propsType.isUnion() || propsType.isIntersection()) {
      // EdgeAppProps and ImageUpdateAutomationProps are unions: each member is documented below.
      sections.push('', `Props: \`${typeText(typeNode)}\`, one of the shapes it names (see [Types](#types)).`);
    } else {
      sections.push('', propTable(propsOf(propsType)));
      const named = typeNode.getText().replace(/<.*$/, '');
      // The props interface itself is shown here; its section under Types would repeat it.
      for (const r of refsOf(typeNode)) if (r === named) types.set(r, { name: r, file: '', doc: '', refs: [] });
      const inner = new Set<string>();
      const sym2 = exported.get(named);
      const d2 = sym2?.declarations?.[0];
      if (d2) for (const r of refsOf(d2)) if (r !== named) inner.add(r);
      if (inner.size > 0) sections.push('', `Types used: ${[...inner].sort().map(link).join(', ')}.`);
      continue;
    }
    if (refs.length > 0) sections.push('', `Types used: ${refs.sort().map(link).join(', ')}.`);
  }
  // Transitively: every named type a documented property uses.
  while (pending.length > 0) {
    const sym = pending.shift()!;
    if (types.has(sym.name)) continue;
    types.set(sym.name, describe(sym));
  }
  out.push(...sections, '', '## Types', '', 'Every named type the props above use, transitively, in alphabetical order.');
  for (const t of [...types.values()].filter((x) => x.file !== '').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out.push('', `### ${t.name}`, '');
    if (t.doc) out.push(t.doc, '');
    if (t.aliasOf !== undefined) out.push('```ts', `type ${t.name} = ${t.aliasOf}`, '```', '');
    if (t.props) out.push(t.props.length > 0 ? propTable(t.props) : '(no properties)', '');
    const refs = t.refs.filter((r) => r !== t.name);
    out.push(`Source: \`${t.file}\`.${refs.length > 0 ? ` Uses ${[...refs].sort().map(link).join(', ')}.` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

function propTable(props: readonly PropDoc[]): string {
  const rows = props.map((p) => `| \`${p.name}${p.optional ? '?' : ''}\` | \`${escapeCell(p.type)}\` | ${escapeCell(p.doc)} | ${p.optional ? escapeCell(p.defaultValue ?? '') : 'required'} |`);
  return ['| property | type | description | default |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function link(name: string): string {
  return `[\`${name}\`](#${name.toLowerCase()})`;
}

function resolveAlias(checker: ts.TypeChecker, s: ts.Symbol): ts.Symbol {
  return s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
}

/** The TSDoc text without tags, `{@link X}` rendered as `X`. */
function docText(sym: ts.Symbol, checker: ts.TypeChecker): string {
  return ts
    .displayPartsToString(sym.getDocumentationComment(checker))
    .replace(/\{@link\s+([^}|\s]+)(?:\s*\|\s*([^}]+))?\}/g, (_m, target: string, label?: string) => `\`${label ?? target}\``)
    .trim();
}

function firstSentence(text: string): string {
  const m = /^[\s\S]*?[.!?](?=\s|$)/.exec(text);
  return (m ? m[0] : text).replace(/\s+/g, ' ');
}

/** One line: types and defaults written over several lines read fine folded. */
function squash(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** A type as written, on one line, without the TSDoc of union members written inside it. */
function typeText(node: ts.Node): string {
  return squash(node.getText().replace(/\/\*[\s\S]*?\*\//g, ' ')).replace(/ {2,}/g, ' ').replace(/([(<[]) /g, '$1');
}
