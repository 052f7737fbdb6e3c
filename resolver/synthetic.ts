/**
 * A synthetic multi-source stream with ground truth, for measuring the resolver where it is most
 * likely to fail: households sharing a landline or a family inbox, typos in names, guest
 * checkouts that later register, walk-ins captured at the till and later promoted to accounts,
 * junk identifiers typed at the till, and anonymous cash sales. Every event carries the person
 * it truly belongs to (or none, for a cash sale), so clusterings can be scored.
 */
import { seededRandom } from '../platform/random.ts';
import type { RawEvent, Source } from '../schemas/types.ts';

export interface TruthEvent {
  event: RawEvent;
  /** The true person; null for an anonymous cash sale (a person of its own). */
  person: string | null;
}

const GIVEN = ['Ann', 'Bob', 'Carla', 'Dev', 'Eva', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kai', 'Lena', 'Mo', 'Nia', 'Otto', 'Pia', 'Quinn', 'Rosa', 'Sam', 'Tara', 'Uma', 'Vic', 'Wes', 'Yara', 'Zoe', 'Liam', 'Maya', 'Noah', 'Olga', 'Pete'];
const FAMILY = ['Smith', 'Okafor', 'Muller', 'Garcia', 'Tanaka', 'Rossi', 'Nguyen', 'Kowalski', 'Haddad', 'Silva', 'Brown', 'Lee', 'Khan', 'Novak', 'Berg', 'Costa', 'Dubois', 'Ivanova', 'Jensen', 'Moreau'];
const STREETS = ['Oak Street', 'Pine Avenue', 'Maple Road', 'Cedar Lane', 'Elm Court', 'Birch Way'];
const CITIES = [
  { city: 'Oakland', postcode: '94601' },
  { city: 'Berkeley', postcode: '94704' },
  { city: 'San Jose', postcode: '95112' },
  { city: 'Fremont', postcode: '94536' },
];

export interface SyntheticOptions {
  households: number;
  seed?: number;
  tenant?: string;
}

/** A typo: a dropped, doubled or swapped letter. */
function typo(word: string, random: () => number): string {
  if (word.length < 4) return word;
  const i = 1 + Math.floor(random() * (word.length - 2));
  const kind = Math.floor(random() * 3);
  if (kind === 0) return word.slice(0, i) + word.slice(i + 1);
  if (kind === 1) return word.slice(0, i) + word[i] + word.slice(i);
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
}

export function syntheticStream(options: SyntheticOptions): TruthEvent[] {
  const random = seededRandom(options.seed ?? 4242);
  const tenant = options.tenant ?? 'synthetic';
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const out: TruthEvent[] = [];
  let seq = 0;
  let day = 0;
  const event = (person: string | null, source: Source, type: string, identity: Partial<RawEvent['identity']>, traits: RawEvent['traits'] = {}, extra: Partial<RawEvent> = {}) => {
    const at = Date.UTC(2026, 0, 1) + (day++ % 300) * 86_400_000 + seq;
    out.push({
      person,
      event: {
        event_id: `syn-${seq++}`,
        tenant_id: tenant,
        source,
        type,
        occurred_at: at,
        received_at: at,
        identity: { auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null, ...identity },
        traits,
        properties: {},
        ...extra,
      },
    });
  };

  for (let h = 0; h < options.households; h++) {
    const family = `${pick(FAMILY)}${h}`;
    const place = pick(CITIES);
    const street = `${1 + Math.floor(random() * 200)} ${pick(STREETS)}`;
    const landline = `+1510555${String(1000 + h).padStart(4, '0')}`;
    const familyInbox = random() < 0.3 ? `${family.toLowerCase()}.family@mail.test` : null;
    const size = 1 + Math.floor(random() * 4);
    const givens = new Set<string>();
    while (givens.size < size) givens.add(pick(GIVEN));
    [...givens].forEach((given, k) => {
      const person = `h${h}-p${k}`;
      const email = `${given.toLowerCase()}.${family.toLowerCase()}@mail.test`;
      const mobile = random() < 0.7 ? `+1415555${String(h * 4 + k).padStart(4, '0')}` : null;
      const auth = random() < 0.5 ? `auth|${person}` : null;
      const dob = `${1950 + Math.floor(random() * 50)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;
      const traits = (name = given) => ({ first_name: name, last_name: family, date_of_birth: dob, street, city: place.city, postal_code: place.postcode });

      // The CRM knows most people, sometimes with a typo in the name and the home landline.
      if (random() < 0.8) {
        event(person, 'crm', 'contact_created', { email, phone: random() < 0.5 ? landline : mobile, source_record_id: `CRM-${person}` }, traits(random() < 0.15 ? typo(given, random) : given));
      }
      // A guest checkout with an email, later an account registering with the same email.
      if (random() < 0.5) event(person, 'web', 'order_completed', { email, anonymous_id: `anon-${person}` }, { first_name: given });
      if (auth) event(person, 'web', 'identify', { auth_user_id: auth, email, anonymous_id: `anon-${person}` }, { first_name: given, last_name: family });
      // A walk-in captured at the till with the household landline and a POS customer number...
      if (random() < 0.5) {
        event(person, 'pos', 'order_completed', { phone: landline, source_record_id: `POS-${person}` }, { first_name: given, last_name: family });
        // ...later promoted to an account (or given their email at the till).
        if (auth) event(person, 'pos', 'loyalty_joined', { auth_user_id: auth, source_record_id: `POS-${person}` });
        else if (random() < 0.5) event(person, 'pos', 'receipt_emailed', { email, source_record_id: `POS-${person}` });
      }
      // The family inbox, used by some members with their own name.
      if (familyInbox && random() < 0.6) event(person, 'messaging', 'message_opened', { email: familyInbox }, { first_name: given });
      // Engagement on the person's own email or mobile.
      if (random() < 0.7) event(person, 'messaging', 'message_clicked', { email });
      if (mobile && random() < 0.5) event(person, 'messaging', 'message_delivered', { phone: mobile });
      // Junk typed at the till: never a merge key.
      if (random() < 0.2) event(person, 'pos', 'order_completed', { email: 'test@test.com', phone: '0000000000', source_record_id: `POS-${person}` }, { first_name: given });
    });
  }
  // Anonymous cash sales: each a person of its own.
  for (let i = 0; i < Math.max(1, Math.floor(options.households / 10)); i++) event(null, 'pos', 'order_completed', {});
  // A deterministic shuffle of arrival order, so tests see sources interleaved.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
