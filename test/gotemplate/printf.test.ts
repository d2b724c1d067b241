// Go's fmt verbs as printf exposes them, including the in-band error notations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sprintf, sprint, sprintln } from '../../src/gotemplate/index.js';

const cases: Array<[string, unknown[], string]> = [
  // %v and friends
  ['%v', [42], '42'],
  ['%v', ['s'], 's'],
  ['%v', [[1, 'a']], '[1 a]'],
  ['%v', [{ b: 1, a: [2] }], 'map[a:[2] b:1]'],
  ['%v', [null], '<nil>'],
  ['%+v', [{ a: 1 }], 'map[a:1]'],
  ['%#v', ['s'], '"s"'],
  ['%#v', [[1, 'a']], '[]interface {}{1, "a"}'],
  ['%T %T %T %T %T %T %T', [1, 1.5, 's', true, [1], { a: 1 }, null], 'int float64 string bool []interface {} map[string]interface {} <nil>'],
  ['%%', [], '%'],
  // integers
  ['%d|%5d|%-5d|%05d|%+d|% d', [7, 7, 7, 7, 7, 7], '7|    7|7    |00007|+7| 7'],
  ['%05d', [-42], '-0042'],
  ['%.3d', [7], '007'],
  ['%x %X %#x %o %#o %O %b %#b', [255, 255, 255, 8, 8, 8, 5, 5], 'ff FF 0xff 10 010 0o10 101 0b101'],
  ['%x', [-255], '-ff'],
  ['%c %q %U %#U', [65, 65, 0x1f600, 65], "A 'A' U+1F600 U+0041 'A'"],
  ['%d', [9007199254740993n], '9007199254740993'],
  ['%d', [[1, 2]], '[1 2]'],
  // floats
  ['%f %.2f %8.3f %-8.1f| %e %E %g', [3.14159, 3.14159, 3.14159, 3.14159, 1234.5678, 1234.5678, 1234.5678], '3.141590 3.14    3.142 3.1     | 1.234568e+03 1.234568E+03 1234.5678'],
  ['%g %g %g %g', [1e6, 1e-5, 100000, 0.0001], '1e+06 1e-05 100000 0.0001'],
  ['%.3g %.10g %G', [1234.5678, 1234.5678, 1e-10], '1.23e+03 1234.5678 1E-10'],
  ['%+.1f %08.3f % .2f', [2.5, -3.14159, 1], '+2.5 -003.142  1.00'],
  ['%.0f %.0f %.0f %.1f', [0.5, 1.5, 2.5, 0.25], '0 2 2 0.2'],
  ['%v %v', [1e21, 123456789.5], '1e+21 1.234567895e+08'],
  ['%#g %#.3g', [1.0e0 + 0.5, 2.5], '1.50000 2.50'],
  ['%f %v %5.1f', [Infinity, -Infinity, NaN], '+Inf -Inf   NaN'],
  // strings
  ['%s|%10s|%-10s|%.2s', ['go', 'go', 'go', 'golang'], 'go|        go|go        |go'],
  ['%q', ['he said "hi"\n'], '"he said \\"hi\\"\\n"'],
  ['%#q %+q', ['back', 'é'], '`back` "\\u00e9"'],
  ['%x % x %X %#x', ['hi', 'hi', 'hi', 'hi'], '6869 68 69 6869 0x6869'],
  ['%5t|%v', [true, false], ' true|false'],
  ['%s', [[1, 'a']], '[%!s(int=1) a]'],
  // bad verbs, missing and extra operands
  ['%d', ['foo'], '%!d(string=foo)'],
  ['%s', [5], '%!s(int=5)'],
  ['%d', [1.5], '%!d(float64=1.5)'],
  ['%t', [1], '%!t(int=1)'],
  ['%d', [null], '%!d(<nil>)'],
  ['%d %d', [1], '1 %!d(MISSING)'],
  ['%v', [], '%!v(MISSING)'],
  ['%d', [1, 'x', null], '1%!(EXTRA string=x, <nil>)'],
  ['x', [1], 'x%!(EXTRA int=1)'],
  ['%', [], '%!(NOVERB)'],
  ['%z', [1], '%!z(int=1)'],
  // argument indexes and star
  ['%[2]d %[1]d', [1, 2], '2 1'],
  ['%[3]d', [1], '%!d(BADINDEX)'],
  ['%*d|%-*d|%.*f', [4, 7, 3, 7, 2, 3.14159], '   7|7  |3.14'],
];

for (const [format, args, want] of cases) {
  test(`sprintf ${JSON.stringify(format)} ${JSON.stringify(args, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
    assert.equal(sprintf(format, args), want);
  });
}

test('sprint spacing rules', () => {
  assert.equal(sprint(['a', 1, 2, 'b', 'c']), 'a1 2bc');
  assert.equal(sprint([1, null, 2]), '1 <nil> 2');
  assert.equal(sprintln(['a', 1, 'b']), 'a 1 b\n');
});
