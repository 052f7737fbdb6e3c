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

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPersonalData(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: maskPersonalData(value.message), stack: value.stack && maskPersonalData(value.stack) };
  }
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'c360' },
      formatters: { log: (object) => maskDeep(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPersonalData(a) : a));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
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
