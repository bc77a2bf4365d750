import fc from 'fast-check';
import { updateSetters } from '../../../../reconciler/images/lock';
import { genFileArb, renderGenFile } from './setter-yaml-arbitrary';

/**
 * Properties of the setter (marker) rewriter on generated manifests (block and flow styles,
 * comments, anchors, CRLF, BOM): applying what is already there changes no byte, and changing one
 * image's tag changes exactly the marked tokens and nothing else.
 */

const NAME = 'registry.local:5000/edge/gateway';
const A = { name: NAME, tag: '2.0.0-aaaa' };
const B = { name: NAME, tag: '3.1.4-bbbb' };

describe('updateSetters: properties', () => {
  test('a no-op edit gives identical bytes (nothing is returned as changed)', () => {
    fc.assert(
      fc.property(genFileArb, (gen) => {
        const files = { 'gen.yaml': renderGenFile(gen) };
        const once = updateSetters(files, { 'ns:p': A });
        const settled = { ...files, ...once.files };
        const again = updateSetters(settled, { 'ns:p': A });
        expect(again.files).toEqual({});
        expect(again.changes).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  test('one edit (a new tag) changes only the marked tokens', () => {
    let edited = 0;
    fc.assert(
      fc.property(genFileArb, (gen) => {
        const before = { ...{ 'gen.yaml': renderGenFile(gen) } };
        const settled = updateSetters(before, { 'ns:p': A }).files['gen.yaml'] ?? before['gen.yaml'];
        const after = updateSetters({ 'gen.yaml': settled }, { 'ns:p': B });
        const text = after.files['gen.yaml'];
        const marked = settled.split(A.tag).length - 1;
        if (marked === 0) {
          expect(text).toBeUndefined();
          return;
        }
        edited++;
        expect(after.changes).toHaveLength(marked);
        // Swapping the new tag back for the old one gives the old bytes exactly: nothing else moved.
        expect(text?.split(B.tag).join(A.tag)).toBe(settled);
        for (const c of after.changes) expect(c.to.includes(B.tag) && c.from.includes(A.tag)).toBe(true);
      }),
      { numRuns: 300 },
    );
    // The generator must actually produce marked values, or this property tests nothing.
    expect(edited).toBeGreaterThan(50);
  });
});
