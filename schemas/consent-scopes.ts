/**
 * Consent scopes: the four marketing channels, which every tenant has, and the other scopes a
 * tenant configures (terms of service, profiling, ...; PUT /v1/consent/scopes). A consent_changed
 * event names either in `scope`; one that is not a channel travels as the record's `other_scope`
 * (schemas/events/common/consent-changed.avsc), so events written before other scopes existed
 * still decode.
 */
import type { FieldError } from './from-json.ts';

export const CONSENT_CHANNELS: readonly string[] = Object.freeze(['email', 'sms', 'push', 'whatsapp']);

/** A scope's name: lower case letters, digits and underscores, starting with a letter. */
export const CONSENT_SCOPE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

export const isChannel = (scope: string) => CONSENT_CHANNELS.includes(scope);

/**
 * The JSON properties of a consent_changed event with a scope other than a channel moved to
 * `other_scope`; an error when that name is not a scope's name. Other properties unchanged.
 */
export function withOtherScope(properties: Record<string, unknown>): { properties: Record<string, unknown>; errors: FieldError[] } {
  const scope = properties.scope;
  if (typeof scope !== 'string' || isChannel(scope)) return { properties, errors: [] };
  if (!CONSENT_SCOPE_PATTERN.test(scope)) {
    return { properties, errors: [{ path: '/properties/scope', message: `must be a channel (${CONSENT_CHANNELS.join(', ')}) or a scope the tenant configured (lower case letters, digits and _)` }] };
  }
  return { properties: { ...properties, scope: null, other_scope: scope }, errors: [] };
}
