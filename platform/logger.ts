/**
 * Structured logs (pino) that never carry personal data unmasked: every string
 * in a log line, message or context, is passed through maskPersonalData first.
 */
import { pino, type Logger } from 'pino';
import { logLevel as kafkaLogLevel, type logCreator } from 'kafkajs';

export type { Logger };

const EMAIL = /([\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]*@([\p{L}\p{N}-])[\p{L}\p{N}.-]*\.([\p{L}]{2,})/gu;
// A phone: an optional +, then 7 to 15 digits, allowing spaces, dots, dashes and brackets.
const PHONE = /(?<![\w-])\+?\(?\d(?:[\s.()-]*\d){6,14}(?![\w-])/g;

export function maskEmail(email: string): string {
  return email.replace(EMAIL, (_m, first: string, domainFirst: string, tld: string) => `${first}***@${domainFirst}***.${tld}`);
}

export function maskPhone(phone: string): string {
  return phone.replace(PHONE, (match) => {
    const digits = match.replace(/\D/g, '');
    return `${match.startsWith('+') ? '+' : ''}***${digits.slice(-2)}`;
  });
}

/** Masks every email address and phone number found in a string. */
export function maskPersonalData(text: string): string {
  return maskPhone(maskEmail(text));
}

const MAX_DEPTH = 12;

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPersonalData(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[nested too deep]';
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (value instanceof Error) {
    // A masked copy that is still an Error of the same class, so pino's serializer keeps its
    // type and its own fields (code, retriable, ...).
    const copy = Object.create(Object.getPrototypeOf(value)) as Error & Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(value)) {
      copy[key] = maskDeep((value as unknown as Record<string, unknown>)[key], depth + 1);
    }
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[maskPersonalData(k)] = maskDeep(v, depth + 1);
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: { service: 'c360' },
      formatters: {
        log: (object) => maskDeep(object) as Record<string, unknown>,
        bindings: (bindings) => maskDeep(bindings) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const masked: unknown[] = args.map((a) => maskDeep(a));
          // pino takes the message of an error logged without one from the error itself.
          const [first] = args as unknown[];
          const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
          if (error instanceof Error && typeof masked[1] !== 'string') masked.splice(1, 0, maskPersonalData(error.message));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  // pino applies formatters.bindings to the root only; children (which inherit from the root)
  // get their bindings masked here.
  const child = logger.child as unknown as (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
  (logger as { child: unknown }).child = function maskedChild(this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) {
    return child.call(this, maskDeep(bindings) as pino.Bindings, options);
  };
  return logger;
}

/** Bridges KafkaJS logs into pino. */
export function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () => ({ namespace, level, log }) => {
    const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
    const context = { namespace, ...extra };
    switch (level) {
      case kafkaLogLevel.ERROR:
        child.error(context, message);
        break;
      case kafkaLogLevel.WARN:
        child.warn(context, message);
        break;
      case kafkaLogLevel.INFO:
        child.info(context, message);
        break;
      default:
        child.debug(context, message);
    }
  };
}
