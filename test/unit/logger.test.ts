import { describe, expect, it } from 'vitest';
import { createLogger, maskEmail, maskPersonalData, maskPhone } from '../../platform/logger.ts';

/** A logger whose lines are kept in memory (pino accepts any object with write(str)). */
function capturedLogger(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  return { logger, lines, parsed };
}

const EMAIL = 'ann.smith@mail.test';
const OTHER_EMAIL = 'bob.jones@inbox.test';
const PHONE = '(415) 555-0123';
const PHONE_DIGITS = '4155550123';
const INTL_PHONE = '+44 20 7946 0958';

function expectNoPersonalData(line: string) {
  expect(line).not.toContain(EMAIL);
  expect(line).not.toContain(OTHER_EMAIL);
  expect(line).not.toContain('ann.smith');
  expect(line).not.toContain('bob.jones');
  expect(line).not.toContain(PHONE);
  expect(line).not.toContain('555-0123');
  expect(line.replace(/\D/g, ' ')).not.toMatch(/4155550123|555\s*0123|79460958/);
  expect(line).not.toContain(PHONE_DIGITS);
}

describe('maskEmail', () => {
  it('keeps the first character of the local part and domain, and the TLD', () => {
    expect(maskEmail('ann.smith@mail.test')).toBe('a***@m***.test');
    expect(maskEmail('contact Ann.Smith+promo@sub.mail.co.uk now')).toBe('contact A***@s***.uk now');
  });

  it('masks every address in a string and leaves other text alone', () => {
    expect(maskEmail('from ann@mail.test to bob@inbox.test')).toBe('from a***@m***.test to b***@i***.test');
    expect(maskEmail('no address here: user at mail dot test')).toBe('no address here: user at mail dot test');
  });

  it('masks non-ASCII addresses', () => {
    expect(maskEmail('chloé@müller.test')).toBe('c***@m***.test');
  });
});

describe('maskPhone', () => {
  it('keeps only the last two digits, and the + of international numbers', () => {
    expect(maskPhone('(415) 555-0123')).toBe('***23');
    expect(maskPhone('+44 20 7946 0958')).toBe('+***58');
    expect(maskPhone('call 415.555.0199 today')).toBe('call ***99 today');
    expect(maskPhone('+14155550123')).toBe('+***23');
  });

  it('leaves short numbers, ISO timestamps and identifiers with digits alone', () => {
    expect(maskPhone('retry 3 of 10 after 250 ms')).toBe('retry 3 of 10 after 250 ms');
    expect(maskPhone('2026-01-01T00:00:00.000Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(maskPhone('event demo-1234567-crm')).toBe('event demo-1234567-crm');
    expect(maskPhone('order ord-12-3')).toBe('order ord-12-3');
  });
});

describe('maskPersonalData', () => {
  it('masks both emails and phones in one string', () => {
    expect(maskPersonalData(`mail ${EMAIL} or call ${PHONE} / ${INTL_PHONE}`)).toBe('mail a***@m***.test or call ***23 / +***58');
  });
});

describe('createLogger', () => {
  it('writes JSON lines without raw emails or phone numbers, in the message and the context', () => {
    const { logger, lines, parsed } = capturedLogger();
    logger.info(
      {
        user: { email: EMAIL, contact: { phones: [PHONE, INTL_PHONE] } },
        err: new Error(`lookup failed for ${OTHER_EMAIL}`),
        topic: 'c360.raw.crm',
        count: 3,
        ok: true,
        event_id: 'demo-7-crm-1',
      },
      `contact ${EMAIL} phone ${PHONE}`,
    );
    expect(lines).toHaveLength(1);
    expectNoPersonalData(lines[0]!);

    const line = parsed()[0]!;
    expect(line.msg).toBe('contact a***@m***.test phone ***23');
    expect(line.user).toEqual({ email: 'a***@m***.test', contact: { phones: ['***23', '+***58'] } });
    expect(line.err.message).toBe('lookup failed for b***@i***.test');
    expect(line.err.stack).toContain('lookup failed for b***@i***.test');
    // Non-personal fields are intact.
    expect(line.topic).toBe('c360.raw.crm');
    expect(line.count).toBe(3);
    expect(line.ok).toBe(true);
    expect(line.event_id).toBe('demo-7-crm-1');
    expect(line.level).toBe(30);
    expect(line.service).toBe('c360');
    expect(typeof line.time).toBe('number');
  });

  it('masks string arguments of a format message', () => {
    const { logger, parsed } = capturedLogger();
    logger.info('user %s called from %s', EMAIL, PHONE);
    expect(parsed()[0]!.msg).toBe('user a***@m***.test called from ***23');
  });

  it('honours the level', () => {
    const { logger, lines } = capturedLogger('warn');
    logger.info({ a: 1 }, 'dropped');
    logger.warn({ a: 2 }, 'kept');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).msg).toBe('kept');
  });

  // BUG: with an Error and no message, pino takes the message from err.message after the
  // logMethod hook ran (the hook masks only string arguments), so msg carries it in clear.
  it('masks the message pino takes from an Error logged without a message', () => {
    const { logger, lines } = capturedLogger();
    logger.error(new Error(`no profile for ${EMAIL} / ${PHONE}`));
    logger.error({ err: new Error(`no profile for ${EMAIL}`) });
    expect(lines).toHaveLength(2);
    for (const line of lines) expectNoPersonalData(line);
  });

  // BUG: the bindings of a child logger skip formatters.log and the logMethod hook.
  it('masks the bindings of a child logger', () => {
    const { logger, lines } = capturedLogger();
    logger.child({ email: EMAIL }).info('child line');
    expect(lines).toHaveLength(1);
    expectNoPersonalData(lines[0]!);
  });

  // BUG: objects interpolated with %o / %j are formatted into msg after the hook; only string
  // arguments are masked.
  it('masks objects interpolated into the message with %o and %j', () => {
    const { logger, lines } = capturedLogger();
    logger.info('identity %o', { email: EMAIL });
    logger.info('identity %j', { phone: PHONE });
    expect(lines).toHaveLength(2);
    for (const line of lines) expectNoPersonalData(line);
  });

  // BUG: maskDeep returns objects nested deeper than 8 levels unchanged, strings included.
  it('masks personal data however deep it is nested', () => {
    const { logger, lines } = capturedLogger();
    let context: Record<string, unknown> = { email: EMAIL };
    for (let i = 0; i < 10; i++) context = { nested: context };
    logger.info(context, 'deep');
    expectNoPersonalData(lines[0]!);
  });

  // BUG: object keys are copied as they are, so a map keyed by email leaks it.
  it('masks personal data used as an object key', () => {
    const { logger, lines } = capturedLogger();
    logger.info({ perEmail: { [EMAIL]: 2 } }, 'counts');
    expectNoPersonalData(lines[0]!);
  });

  // BUG: maskDeep turns an Error into a plain object before pino's err serializer, which then
  // reports the constructor of that plain object: every error is logged as type "Object".
  it('keeps the type of a logged error', () => {
    const { logger, parsed } = capturedLogger();
    logger.error({ err: new TypeError('bad input') }, 'failed');
    expect(parsed()[0]!.err.type).toBe('TypeError');
  });
});
