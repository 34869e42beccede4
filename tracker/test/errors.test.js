// Error events (src/errors.js): masking before the cut, the fields of ErrorEvents and
// rejections, and the limit of five identical errors per page view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SAME_ERRORS, MESSAGE_MAX, errorFields, maskMessage, underErrorLimit } from '../src/errors.js';

test('e-mail addresses and runs of 7 or more digits are masked', () => {
  assert.equal(maskMessage('no user jane.doe+x@mail.example.org here'), 'no user [email] here');
  assert.equal(maskMessage('order 1234567 and card 4111111111111111'), 'order [number] and card [number]');
  assert.equal(maskMessage('line 123456 is fine'), 'line 123456 is fine');
  assert.equal(maskMessage(undefined), 'undefined');
});

test('the message is masked first, then cut to 256 characters without splitting a pair', () => {
  // The address straddles character 256: cut first, its first half would be left behind.
  const long = 'x'.repeat(240) + ' someone.long@mail.example ' + 'y'.repeat(100);
  const masked = maskMessage(long);
  assert.equal(masked.length, MESSAGE_MAX);
  assert.ok(masked.startsWith('x'.repeat(240) + ' [email] y'), 'the address is masked, not cut in half');
  assert.ok(!masked.includes('someone'));
  const emoji = maskMessage('😀'.repeat(300));
  assert.equal([...emoji].length, MESSAGE_MAX);
  assert.ok(!/[\ud800-\udbff]$/.test(emoji));
});

test('an ErrorEvent: the script without query or fragment, line and column', () => {
  const fields = errorFields({
    message: 'Uncaught TypeError: x is not a function',
    filename: 'https://shop.example/app.js?v=3&token=secret#frag',
    lineno: 12,
    colno: 7,
  });
  assert.deepEqual(fields, {
    message: 'Uncaught TypeError: x is not a function',
    source: 'https://shop.example/app.js',
    line: 12,
    column: 7,
  });
  assert.equal(errorFields({ message: 'm', filename: 'https://x/' + 'a'.repeat(3000) }).source.length, 2048);
  // What ErrorEvent gives when nothing is known ("Script error." from another origin).
  const unknown = JSON.parse(JSON.stringify(errorFields({ message: 'Script error.', filename: '', lineno: 0, colno: 0 })));
  assert.deepEqual(unknown, { message: 'Script error.' });
});

test('a rejection: the reason\'s message, or the reason itself', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(errorFields({ reason: new RangeError('too far') }))), { message: 'too far' });
  assert.equal(errorFields({ reason: 'plain' }).message, 'plain');
  assert.equal(errorFields({ reason: 42 }).message, '42');
  assert.equal(errorFields({ reason: undefined }).message, 'undefined');
});

test('at most five identical errors per page view; a new count per page view', () => {
  const counts = {};
  const error = errorFields({ message: 'boom', filename: 'https://x/a.js', lineno: 1, colno: 2 });
  const sent = Array.from({ length: 8 }, () => underErrorLimit(counts, error));
  assert.deepEqual(sent, [...Array(MAX_SAME_ERRORS).fill(true), false, false, false]);
  assert.ok(underErrorLimit(counts, { ...error, line: 2 }), 'another line is another error');
  assert.ok(underErrorLimit({}, error), 'a new page view starts again');
});
