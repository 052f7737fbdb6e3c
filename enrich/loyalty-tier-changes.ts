/**
 * The loyalty_tier_changed domain events of a recomputation: the profile's ID, its new and
 * previous tier and its points, nothing of the person (schemas/profile-changes.ts).
 */
import { idOnlyChange } from '../schemas/profile-changes.ts';
import type { ProfileChange } from '../schemas/types.ts';
import type { LoyaltyTierMove } from './summaries.ts';

export function loyaltyTierChanges(tenantId: string, moves: readonly LoyaltyTierMove[]): ProfileChange[] {
  return moves.map((m) =>
    idOnlyChange({ tenantId, customer360Id: m.customer360_id, kind: 'loyalty_tier_changed', loyalty: { tier: m.tier, previous_tier: m.previous_tier, points: m.points } }),
  );
}
