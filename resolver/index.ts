/**
 * resolver/: identity resolution (normalization, matching, the identity graph in Postgres, the
 * resolver stage). What other folders may use of it.
 */
export { BlocklistError, type BlocklistStore } from './blocklist.ts';
export { DEFAULT_SHARING_LIMITS, SplitError, type GraphStore, type TenantSettings } from './graph-store.ts';
export { API_ORDER, IDENTIFIER_TYPES, IDENTIFIER_TYPE_NAMES, type Identifier, type IdentifierType } from './identifier-types.ts';
export { parseRules, type SurvivorshipRule } from './survivorship.ts';
export { eraseFromGraph, graphRecordsOf } from './person-records.ts';
export { ConsentScopeError, MAX_CONSENT_SCOPES, parseConsentScopes, type ConsentScope, type ConsentScopeStore } from './consent-scopes.ts';
export { MergeRefusedError, createReviewDecisions, type ReviewDecisions } from './review-queue.ts';
export { MAX_SEARCH_RESULTS, searchProfiles, type SearchHit } from './profile-search.ts';
