/**
 * TypeScript shapes of the Avro records, generated from the .avsc files into generated.ts
 * (`c360 schemas types`), plus the few names the code uses that the schemas leave as strings.
 */
export * from './generated.ts';

export type AttributeValue = string | number | boolean | null;
export type Attributes = Record<string, AttributeValue>;

/** Rules the resolver links by; resolved-event.avsc keeps matched_rule a string so rules can be added. */
export type MatchedRule = 'auth_user_id' | 'email_phone' | 'email' | 'phone' | 'source_record_id' | 'anonymous_id' | 'probabilistic' | 'customer360_id' | 'new_profile';
