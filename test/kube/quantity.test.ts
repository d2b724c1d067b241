import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuantity, canonicalResourceList, compareQuantities, formatQuantity, parseQuantity, QuantityError } from '../../src/kube/index.js';

// input → canonical form, as the API server stores it.
const canonical: [string | number, string][] = [
  ['100m', '100m'],
  ['1Gi', '1Gi'],
  ['0.5', '500m'],
  [0.5, '500m'],
  [1, '1'],
  ['1000m', '1'],
  ['1024Mi', '1Gi'],
  ['1.5Gi', '1536Mi'],
  ['123Mi', '123Mi'],
  ['1k', '1k'],
  ['1000', '1k'],
  ['1500', '1500'],
  ['128974848', '128974848'],
  [128974848, '128974848'],
  ['129M', '129M'],
  ['128974848000m', '128974848'],
  // A decimal exponent keeps its style.
  ['1e3', '1e3'],
  ['129e6', '129e6'],
  ['1.5e3', '1500'],
  ['1E6', '1e6'],
  ['1e-3', '1e-3'],
  ['10', '10'],
  ['0', '0'],
  ['0Gi', '0'],
  ['0.000m', '0'],
  ['+1', '1'],
  ['-1.5', '-1500m'],
  ['-1Gi', '-1Gi'],
  ['1.', '1'],
  ['.5Gi', '512Mi'],
  // Binary below 1024 or fractional prints as decimal SI.
  ['0.5Ki', '512'],
  ['1023', '1023'],
  ['1Ki', '1Ki'],
  ['1.5Ki', '1536'],
  ['0.1Ki', '102400m'],
  // Finer than a nano rounds up, away from zero.
  ['0.1n', '1n'],
  ['1.5n', '2n'],
  ['-0.1n', '-1n'],
  ['0.1m', '100u'],
  ['1u', '1u'],
  ['1E', '1E'],
  ['2048Ei', '9223372036854775807'],
  ['7Ei', '7Ei'],
  ['1000E', '1000E'],
];

for (const [input, expected] of canonical) {
  test(`canonicalQuantity(${JSON.stringify(input)}) = ${expected}`, () => {
    assert.equal(canonicalQuantity(input), expected);
  });
}

test('parseQuantity: exact values and remembered format', () => {
  assert.deepEqual(parseQuantity('100m'), { nanos: 100_000_000n, format: 'DecimalSI' });
  assert.deepEqual(parseQuantity('1Ki'), { nanos: 1024_000_000_000n, format: 'BinarySI' });
  assert.deepEqual(parseQuantity('1e3'), { nanos: 1000_000_000_000n, format: 'DecimalExponent' });
  assert.deepEqual(parseQuantity('0.5Ki'), { nanos: 512_000_000_000n, format: 'BinarySI' });
  assert.deepEqual(parseQuantity('0.5Mi').format, 'BinarySI');
  assert.equal(formatQuantity({ nanos: 2n ** 30n * 10n ** 9n, format: 'BinarySI' }), '1Gi');
});

test('compareQuantities compares across formats', () => {
  assert.equal(compareQuantities(parseQuantity('1Ki'), parseQuantity('1k')), 1);
  assert.equal(compareQuantities(parseQuantity('1000m'), parseQuantity('1')), 0);
  assert.equal(compareQuantities(parseQuantity('129e6'), parseQuantity('123Mi')), 1);
});

const invalid = ['', ' 1', '1 ', 'abc', 'Ki', '.', '1.5.5', '1e', '1KB', '1ki', '--1', '1e999999999', 'm', '1 Gi', '0x10'];
for (const input of invalid) {
  test(`parseQuantity rejects ${JSON.stringify(input)}`, () => {
    assert.throws(() => parseQuantity(input), (err: unknown) => err instanceof QuantityError && err.message.includes(JSON.stringify(input)));
  });
}

test('parseQuantity rejects non-finite numbers', () => {
  assert.throws(() => parseQuantity(Number.NaN), QuantityError);
});

test('canonicalResourceList', () => {
  assert.deepEqual(canonicalResourceList({ cpu: '0.5', memory: '1024Mi', 'ephemeral-storage': 1000 }), { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1k' });
  assert.throws(() => canonicalResourceList({ cpu: '2 cores' }), /^QuantityError: cpu: quantity "2 cores"/);
});
