// What the profile screen shows: its sections, the fields of each (found on the profile, in
// its traits or in its aggregates), their labels, and how each kind of value is drawn.
import { html } from './html.js';
import {
  DASH, ageFrom, formatMoney, formatNumber, formatPercent, formatScalar, formatTime, humanize, isBlank,
} from './format.js';

// kind: how the value is drawn. from: where it is looked up (first found wins).
const f = (name, label, kind = 'text', from = ['top', 'traits', 'aggregates']) => ({ name, label, kind, from });
const agg = (name, label, kind = 'number') => f(name, label, kind, ['aggregates', 'top']);

export const SECTIONS = [
  {
    id: 'identity', title: 'Identity and keys', groups: [{ fields: [
      f('customer360_id', 'Customer 360 ID', 'id', ['top']),
      f('tenant_id', 'Tenant', 'text', ['top']),
      f('primary_source', 'Primary source'),
      f('source_ids', 'Source IDs', 'sources', ['top']),
      f('auth_user_id', 'Auth user ID', 'text', ['top']),
      f('anonymous_ids', 'Anonymous IDs', 'list', ['top']),
      f('created_at', 'Created', 'time', ['top']),
      f('updated_at', 'Updated', 'time', ['top']),
      f('version', 'Version', 'number', ['top']),
      f('merged_ids', 'Merged IDs', 'ids', ['top']),
      f('deleted_at', 'Deleted', 'time', ['top']),
    ] }],
  },
  {
    id: 'contact', title: 'Contact', groups: [{ fields: [
      f('full_name', 'Full name'),
      f('first_name', 'First name'),
      f('last_name', 'Last name'),
      f('primary_email', 'Primary email'),
      f('emails', 'All emails', 'list', ['top']),
      f('primary_phone', 'Primary phone'),
      f('phones', 'All phones', 'list', ['top']),
      f('language', 'Language'),
      f('country', 'Country'),
      f('region', 'Region'),
      f('city', 'City'),
      f('postal_code', 'Postal code'),
    ] }],
  },
  {
    id: 'demographics', title: 'Demographics and preferences', groups: [{ fields: [
      f('date_of_birth', 'Date of birth', 'date'),
      f('age', 'Age', 'number'),
      f('gender', 'Gender'),
      f('preferred_channel', 'Preferred channel'),
      f('opt_in_status', 'Opt-in status'),
      f('consent', 'Consent per scope', 'consent', ['top']),
      f('consent_scopes', 'Consent scopes', 'list'),
      f('interests', 'Interests', 'list'),
    ] }],
  },
  {
    id: 'crm', title: 'CRM', groups: [{ fields: [
      f('tags', 'Tags', 'list', ['top']),
      f('crm_status', 'CRM status', 'text', ['top']),
      f('crm_lifecycle_stage', 'Stage in the CRM', 'text', ['top']),
      f('crm_lifecycle_changed_at', 'CRM stage changed', 'time', ['top']),
    ] }],
  },
  {
    id: 'commerce', title: 'Commerce, engagement and scores', aggregatesRest: true, groups: [
      { title: 'Commerce', fields: [
        agg('orders_count', 'Orders'),
        agg('total_revenue', 'Total revenue', 'money'),
        agg('average_order_value', 'Average order value', 'money'),
        agg('net_revenue', 'Net revenue', 'money'),
        agg('refunds_count', 'Refunds'),
        agg('refunds_amount', 'Refunded amount', 'money'),
        agg('spend_12m', 'Spend, last 12 months', 'money'),
        agg('repeat_purchases', 'Repeat purchases'),
        agg('first_purchase_at', 'First purchase', 'time'),
        agg('last_purchase_at', 'Last purchase', 'time'),
        agg('ltv', 'Lifetime value', 'money'),
        agg('predicted_ltv_12m', 'Predicted value, next 12 months', 'money'),
        agg('expected_purchases_12m', 'Expected purchases, next 12 months'),
        agg('loyalty_tier', 'Loyalty tier', 'text'),
        agg('loyalty_points', 'Loyalty points'),
      ] },
      { title: 'Engagement', fields: [
        agg('first_seen_at', 'First seen', 'time'),
        agg('last_seen_at', 'Last seen', 'time'),
        agg('last_channel', 'Last channel', 'text'),
        agg('events_count', 'Events'),
        agg('sessions_count', 'Sessions'),
        agg('interactions_count', 'Interactions'),
        agg('email_opens', 'Email opens'),
        agg('email_clicks', 'Email clicks'),
        agg('pushes_sent', 'Pushes sent'),
        agg('support_tickets', 'Support tickets'),
        agg('last_support_at', 'Last support contact', 'time'),
      ] },
      { title: 'Scores', fields: [
        agg('churn_risk', 'Churn risk', 'percent'),
        agg('p_alive', 'Probability still active', 'percent'),
        agg('engagement_score', 'Engagement score (0–100)'),
        agg('propensity_to_buy', 'Propensity to buy, next 30 days', 'percent'),
        agg('lifecycle_stage', 'Stage from behaviour', 'text'),
        agg('inactive_24m', 'Inactive for 24 months', 'text'),
      ] },
      { title: 'Last 30 days', fields: [
        agg('events_30d', 'Events'),
        agg('orders_30d', 'Orders'),
        agg('revenue_30d', 'Revenue', 'money'),
        agg('sessions_30d', 'Sessions'),
        agg('opens_30d', 'Email opens'),
        agg('clicks_30d', 'Email clicks'),
      ] },
      { title: 'Segments and recommendations', fields: [
        f('segments', 'Segments', 'list', ['top', 'aggregates']),
        f('primary_segment', 'Primary segment', 'text', ['top', 'aggregates']),
        f('recommendation_vector', 'Recommended categories', 'bars', ['top', 'aggregates', 'traits']),
      ] },
    ],
  },
];

const SOURCES = {
  top: (p) => p,
  traits: (p) => (p.traits && typeof p.traits === 'object' ? p.traits : {}),
  aggregates: (p) => (p.aggregates && typeof p.aggregates === 'object' ? p.aggregates : {}),
};

/** Values that have a fallback computed from others when the answer lacks them. */
const DERIVED = {
  primary_email: (p) => (Array.isArray(p.emails) ? p.emails[0] : undefined),
  primary_phone: (p) => (Array.isArray(p.phones) ? p.phones[0] : undefined),
  age: (p, value) => ageFrom(value('date_of_birth')) ?? undefined,
};

/**
 * Every field of every section with its value, plus what is left: the traits, aggregates and
 * top-level keys no section named. `used` keys are "where.key".
 */
export function layoutProfile(profile) {
  const used = new Set(['top.traits', 'top.aggregates']);
  const lookup = (field) => {
    for (const where of field.from) {
      const source = SOURCES[where](profile);
      if (Object.prototype.hasOwnProperty.call(source, field.name)) {
        used.add(`${where}.${field.name}`);
        if (!isBlank(source[field.name])) return source[field.name];
      }
    }
    return undefined;
  };
  const byName = {};
  const value = (name) => byName[name];
  const sections = SECTIONS.map((section) => ({
    ...section,
    groups: section.groups.map((group) => ({
      ...group,
      fields: group.fields.map((field) => {
        let v = lookup(field);
        if (isBlank(v) && DERIVED[field.name]) v = DERIVED[field.name](profile, value);
        byName[field.name] = v;
        return { ...field, value: v, testid: field.name };
      }),
    })),
  }));
  const rest = (where) => Object.keys(SOURCES[where](profile))
    .filter((key) => !used.has(`${where}.${key}`))
    .map((key) => ({ name: key, label: humanize(key), kind: 'auto', value: SOURCES[where](profile)[key], testid: key }));
  const shown = new Set(Object.keys(byName));
  const unique = (field, where) => (shown.has(field.testid) ? { ...field, testid: `${where}.${field.name}` } : field);
  return {
    sections,
    otherAggregates: rest('aggregates').map((x) => unique(x, 'aggregates')),
    otherTraits: rest('traits').map((x) => unique(x, 'traits')),
    otherTop: rest('top').map((x) => unique(x, 'top')),
  };
}

function List({ items }) {
  if (!Array.isArray(items)) return formatScalar(items);
  return html`<ul class="inline-list">${items.map((x, i) => html`<li key=${i}>${formatScalar(x)}</li>`)}</ul>`;
}

function Sources({ sourceIds }) {
  return html`<ul class="plain">
    ${Object.entries(sourceIds).map(([source, ids]) => html`
      <li key=${source}><span class="label-inline">${source}</span> ${Array.isArray(ids) ? ids.join(', ') : formatScalar(ids)}</li>`)}
  </ul>`;
}

function Consent({ consent }) {
  return html`<ul class="plain">
    ${Object.entries(consent).map(([scope, state]) => {
      if (!state || typeof state !== 'object') return html`<li key=${scope}><span class="label-inline">${scope}</span> ${formatScalar(state)}</li>`;
      const details = [
        state.policy_version && `policy ${state.policy_version}`,
        state.occurred_at && formatTime(state.occurred_at),
        state.source && `from ${state.source}`,
        state.version !== undefined && state.version !== null && `version ${state.version}`,
      ].filter(Boolean).join(', ');
      return html`<li key=${scope}>
        <span class="label-inline">${scope}</span>
        <strong class=${state.status === 'granted' ? 'ok' : 'warn'}>${state.status || DASH}</strong>
        ${details && html` <span class="muted">(${details})</span>`}
      </li>`;
    })}
  </ul>`;
}

/** A small bar list of category -> weight. */
function Bars({ weights }) {
  const entries = Array.isArray(weights)
    ? weights.map((w, i) => [String(i), w])
    : Object.entries(weights);
  const numbers = entries.filter(([, w]) => typeof w === 'number' && Number.isFinite(w)).sort((a, b) => b[1] - a[1]);
  const max = Math.max(...numbers.map(([, w]) => Math.abs(w)), 0) || 1;
  return html`<ul class="bars">
    ${numbers.map(([category, w]) => html`
      <li key=${category}>
        <span class="bar-label">${category}</span>
        <span class="bar" aria-hidden="true"><span style=${`width: ${((Math.abs(w) / max) * 100).toFixed(1)}%`}></span></span>
        <span class="bar-value">${formatNumber(w)}</span>
      </li>`)}
  </ul>`;
}

function KeyValues({ object }) {
  return html`<ul class="plain">
    ${Object.entries(object).map(([k, v]) => html`<li key=${k}><span class="label-inline">${k}</span> ${formatScalar(v)}</li>`)}
  </ul>`;
}

/** The drawing of one field's value. */
export function FieldValue({ kind, value }) {
  if (isBlank(value)) return DASH;
  switch (kind) {
    case 'id': return html`<span class="id">${value}</span>`;
    case 'ids': return html`<ul class="plain">${(Array.isArray(value) ? value : [value]).map((id) => html`
      <li key=${id}><a class="id" href=${`#/profiles/${encodeURIComponent(id)}`}>${id}</a></li>`)}</ul>`;
    case 'time': return typeof value === 'string'
      ? html`<time datetime=${value}>${formatTime(value)}</time>` : formatScalar(value);
    case 'date': return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)
      ? html`<time datetime=${value.slice(0, 10)}>${value.slice(0, 10)}</time>` : formatScalar(value);
    case 'number': return formatNumber(value);
    case 'money': return formatMoney(value);
    case 'percent': return typeof value === 'number' && value >= 0 && value <= 1 ? formatPercent(value) : formatScalar(value);
    case 'list': return html`<${List} items=${value} />`;
    case 'sources': return typeof value === 'object' ? html`<${Sources} sourceIds=${value} />` : formatScalar(value);
    case 'consent': return typeof value === 'object' ? html`<${Consent} consent=${value} />` : formatScalar(value);
    case 'bars': return typeof value === 'object' ? html`<${Bars} weights=${value} />` : formatScalar(value);
    default:
      if (Array.isArray(value)) return html`<${List} items=${value} />`;
      if (typeof value === 'object') return html`<${KeyValues} object=${value} />`;
      return formatScalar(value);
  }
}

/** A definition list of fields; each value element carries data-testid="profile-field-<name>". */
export function Fields({ fields }) {
  if (!fields.length) return html`<p class="muted">None.</p>`;
  return html`<dl class="fields">
    ${fields.map((field) => html`
      <div class="field-row" key=${field.testid}>
        <dt>${field.label}</dt>
        <dd data-testid=${`profile-field-${field.testid}`}><${FieldValue} kind=${field.kind} value=${field.value} /></dd>
      </div>`)}
  </dl>`;
}
