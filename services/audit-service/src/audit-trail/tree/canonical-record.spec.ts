import { canonicalJson } from './canonical-record';

// RFC 8785 (JCS) §3.2.2 and §3.2.3: the leaf bytes must be exactly what any JCS implementation writes.
describe('canonical JSON (RFC 8785)', () => {
  it('writes the RFC’s §3.2.2 example byte for byte (numbers as ECMAScript, literals, escapes)', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (§3.2.3), at every depth, and drops undefined members', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // (Read back from the string: a parsed object would list the integer-like key "1" first.)
    const keys = [...canonicalJson(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) =>
      JSON.parse(`"${m[1]}"`),
    );
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    expect(canonicalJson({ b: [{ z: 1, a: undefined, m: { y: 2, x: 1 } }], a: 'é' })).toBe(
      '{"a":"é","b":[{"m":{"x":1,"y":2},"z":1}]}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow('NaN');
  });
});
