import type { MatchedRule, ProfileChange } from '../schemas/types.ts';
import type { Identifier } from './identifiers.ts';

/** What the resolver decided for one event. */
export interface Resolution {
  customer360Id: string;
  /** Why profiles the event pointed at were not merged, when some were not. */
  blockedReason: string | null;
  rule: MatchedRule;
  confidence: number;
  evidence: Identifier[];
  /** The profile after the change; null when the event changed nothing (e.g. a redelivery). */
  change: ProfileChange | null;
  /** Domain events the event made besides the change, published after it: registered, consent_updated. */
  also: ProfileChange[];
}
