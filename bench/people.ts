/**
 * Synthetic person records with known answers and realistic name frequencies, for measuring
 * matching where it fails in practice: many people share a first name or a surname (drawn with
 * Zipf weights, so "john smith" is common and "zebedee quist" rare), households share a surname,
 * an address and a landline, twins share a date of birth too, a parent and a child may share the
 * whole name, and each person's records carry the noise of real systems (typos, nicknames,
 * swapped names, day and month swapped, missing fields, a move to a new address). An email
 * address is spelled from the names at a common provider, and like a provider the generator
 * never hands one address to two people: when the spelling is taken, a number is added (as
 * john.smith84@gmail.com); a few households share one inbox on purpose.
 *
 * Written as CSV in the columns the `c360 dedupe` contract names, with the true person in
 * `person_id` (never evidence), in one of three layouts: `street` (one street column), `split`
 * (street_number and street) or `full_name` (one name column).
 */
import fs from 'node:fs';
import { seededRandom } from '../platform/random.ts';

const GIVEN = [
  'james', 'mary', 'john', 'patricia', 'robert', 'jennifer', 'michael', 'linda', 'william', 'elizabeth', 'david', 'barbara',
  'richard', 'susan', 'joseph', 'jessica', 'thomas', 'sarah', 'charles', 'karen', 'christopher', 'nancy', 'daniel', 'lisa',
  'matthew', 'margaret', 'anthony', 'betty', 'mark', 'sandra', 'donald', 'ashley', 'steven', 'dorothy', 'paul', 'kimberly',
  'andrew', 'emily', 'joshua', 'donna', 'kenneth', 'michelle', 'kevin', 'carol', 'brian', 'amanda', 'george', 'melissa',
  'edward', 'deborah', 'ronald', 'stephanie', 'timothy', 'rebecca', 'jason', 'laura', 'jeffrey', 'sharon', 'ryan', 'cynthia',
  'jacob', 'kathleen', 'gary', 'amy', 'nicholas', 'shirley', 'eric', 'angela', 'jonathan', 'helen', 'stephen', 'anna',
  'larry', 'brenda', 'justin', 'pamela', 'scott', 'nicole', 'brandon', 'emma', 'benjamin', 'samantha', 'samuel', 'katherine',
  'gregory', 'christine', 'frank', 'debra', 'alexander', 'rachel', 'raymond', 'catherine', 'patrick', 'carolyn', 'jack', 'janet',
  'dennis', 'ruth', 'jerry', 'maria', 'tyler', 'heather', 'aaron', 'diane', 'jose', 'virginia', 'adam', 'julie', 'henry', 'joyce',
  'nathan', 'victoria', 'douglas', 'olivia', 'zachary', 'kelly', 'peter', 'christina', 'kyle', 'lauren', 'walter', 'joan',
  'ethan', 'evelyn', 'jeremy', 'judith', 'harold', 'megan', 'keith', 'cheryl', 'christian', 'andrea', 'roger', 'hannah',
  'noah', 'martha', 'gerald', 'jacqueline', 'carl', 'frances', 'terry', 'gloria', 'sean', 'ann', 'austin', 'teresa', 'arthur',
  'kathryn', 'lawrence', 'sara', 'jesse', 'janice', 'dylan', 'jean', 'bryan', 'alice', 'joe', 'madison', 'jordan', 'doris',
  'billy', 'abigail', 'bruce', 'julia', 'albert', 'judy', 'willie', 'grace', 'gabriel', 'denise', 'logan', 'amber', 'alan',
  'marilyn', 'juan', 'beverly', 'wayne', 'danielle', 'roy', 'theresa', 'ralph', 'sophia', 'randy', 'marie', 'eugene', 'diana',
  'vincent', 'brittany', 'russell', 'natalie', 'elijah', 'isabella', 'louis', 'charlotte', 'bobby', 'rose', 'philip', 'alexis',
  'johnny', 'kayla', 'zebedee', 'ottoline', 'thaddeus', 'philippa', 'ignatius', 'leocadia', 'bartholomew', 'clementine',
];

const SURNAMES = [
  'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez', 'hernandez', 'lopez',
  'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore', 'jackson', 'martin', 'lee', 'perez', 'thompson', 'white',
  'harris', 'sanchez', 'clark', 'ramirez', 'lewis', 'robinson', 'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres',
  'nguyen', 'hill', 'flores', 'green', 'adams', 'nelson', 'baker', 'hall', 'rivera', 'campbell', 'mitchell', 'carter', 'roberts',
  'gomez', 'phillips', 'evans', 'turner', 'diaz', 'parker', 'cruz', 'edwards', 'collins', 'reyes', 'stewart', 'morris', 'morales',
  'murphy', 'cook', 'rogers', 'gutierrez', 'ortiz', 'morgan', 'cooper', 'peterson', 'bailey', 'reed', 'kelly', 'howard', 'ramos',
  'kim', 'cox', 'ward', 'richardson', 'watson', 'brooks', 'chavez', 'wood', 'james', 'bennett', 'gray', 'mendoza', 'ruiz',
  'hughes', 'price', 'alvarez', 'castillo', 'sanders', 'patel', 'myers', 'long', 'ross', 'foster', 'jimenez', 'powell', 'jenkins',
  'perry', 'russell', 'sullivan', 'bell', 'coleman', 'butler', 'henderson', 'barnes', 'gonzales', 'fisher', 'vasquez', 'simmons',
  'romero', 'jordan', 'patterson', 'alexander', 'hamilton', 'graham', 'reynolds', 'griffin', 'wallace', 'moreno', 'west', 'cole',
  'hayes', 'bryant', 'herrera', 'gibson', 'ellis', 'tran', 'medina', 'aguilar', 'stevens', 'murray', 'ford', 'castro', 'marshall',
  'owens', 'harrison', 'fernandez', 'mcdonald', 'woods', 'washington', 'kennedy', 'wells', 'vargas', 'henry', 'chen', 'freeman',
  'webb', 'tucker', 'guzman', 'burns', 'crawford', 'olson', 'simpson', 'porter', 'hunter', 'gordon', 'mendez', 'silva', 'shaw',
  'snyder', 'mason', 'dixon', 'munoz', 'hunt', 'hicks', 'holmes', 'palmer', 'wagner', 'black', 'robertson', 'boyd', 'rose',
  'stone', 'salazar', 'fox', 'warren', 'mills', 'meyer', 'rice', 'schmidt', 'garza', 'daniels', 'ferguson', 'nichols', 'stephens',
  'soto', 'weaver', 'ryan', 'gardner', 'payne', 'grant', 'dunn', 'kelley', 'spencer', 'hawkins', 'arnold', 'pierce', 'vazquez',
  'hansen', 'peters', 'santos', 'hart', 'bradley', 'knight', 'elliott', 'cunningham', 'duncan', 'armstrong', 'hudson', 'carroll',
  'lane', 'riley', 'andrews', 'alvarado', 'ray', 'delgado', 'berry', 'perkins', 'hoffman', 'johnston', 'matthews', 'pena',
  'richards', 'contreras', 'willis', 'carpenter', 'lawrence', 'sandoval', 'quist', 'oyelaran', 'vandermeulen', 'szczepanski',
  'abernathy', 'nakagawa', 'fitzwilliam', 'okonkwo', 'lindqvist', 'papadopoulos', 'castellanos', 'mbeki', 'rautenbach',
];

const NICKNAMES: Record<string, string[]> = {
  james: ['jim', 'jimmy'], robert: ['bob', 'rob', 'bobby'], john: ['johnny', 'jack'], michael: ['mike', 'mick'],
  william: ['bill', 'will', 'billy'], elizabeth: ['liz', 'beth', 'betty'], richard: ['rick', 'dick'], joseph: ['joe'],
  thomas: ['tom', 'tommy'], charles: ['charlie', 'chuck'], christopher: ['chris'], daniel: ['dan', 'danny'], matthew: ['matt'],
  anthony: ['tony'], margaret: ['maggie', 'peggy'], jennifer: ['jen', 'jenny'], patricia: ['pat', 'patty'], susan: ['sue'],
  steven: ['steve'], andrew: ['andy', 'drew'], kenneth: ['ken'], edward: ['ed', 'ted'], ronald: ['ron'], timothy: ['tim'],
  jeffrey: ['jeff'], nicholas: ['nick'], katherine: ['kate', 'kathy'], samuel: ['sam'], samantha: ['sam'], benjamin: ['ben'],
  alexander: ['alex'], rebecca: ['becky'], deborah: ['debbie', 'deb'], pamela: ['pam'], gregory: ['greg'], lawrence: ['larry'],
  zachary: ['zach'], victoria: ['vicky'], abigail: ['abby'], philip: ['phil'], catherine: ['cathy', 'kate'], kimberly: ['kim'],
};

const STREETS = [
  'main street', 'oak street', 'park avenue', 'maple avenue', 'pine street', 'cedar lane', 'elm street', 'washington street',
  'lake road', 'hill street', 'church road', 'high street', 'station road', 'mill lane', 'river road', 'forest drive',
  'sunset boulevard', 'valley view road', 'meadow lane', 'spring street', 'willow way', 'birch court', 'highland avenue',
  'franklin street', 'jefferson avenue', 'lincoln road', 'madison avenue', 'college avenue', 'broadway', 'center street',
  'north street', 'south street', 'west street', 'ridge road', 'orchard lane', 'chestnut street', 'walnut street', 'prospect avenue',
];

const CITIES = Array.from({ length: 120 }, (_, i) => ({
  city: ['springfield', 'riverside', 'franklin', 'greenville', 'bristol', 'clinton', 'fairview', 'salem', 'madison', 'georgetown',
    'arlington', 'ashland', 'burlington', 'manchester', 'oxford', 'milton', 'newport', 'dover', 'hudson', 'kingston',
    'lebanon', 'marion', 'oakland', 'auburn', 'dayton', 'jackson', 'lexington', 'monroe', 'winchester', 'chester'][i % 30]! + (i >= 30 ? ` ${['heights', 'falls', 'park', 'junction'][Math.floor(i / 30) - 1]}` : ''),
  postcode: String(10000 + i * 613).padStart(5, '0'),
}));

const DOMAINS: [string, number][] = [['gmail.com', 40], ['yahoo.com', 15], ['hotmail.com', 12], ['outlook.com', 10], ['icloud.com', 8], ['aol.com', 5], ['comcast.net', 4], ['mail.test', 6]];

export type PeopleLayout = 'street' | 'split' | 'full_name';

export interface PeopleOptions {
  records: number;
  seed?: number;
  layout?: PeopleLayout;
}

interface Person {
  id: string;
  given: string;
  surname: string;
  dob: { y: number; m: number; d: number };
  home: Address;
  email: string | null;
  mobile: string | null;
  landline: string | null;
}

interface Address {
  number: number;
  street: string;
  city: string;
  postcode: string;
}

/** A sampler of list items with Zipf weights (rank r has weight 1 / r^s). */
function zipf<T>(items: readonly T[], s: number, random: () => number): () => T {
  const cumulative: number[] = [];
  let total = 0;
  items.forEach((_, r) => cumulative.push((total += 1 / (r + 1) ** s)));
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}

/** A typo: a letter dropped, doubled, swapped with the next or replaced. */
function typo(word: string, random: () => number): string {
  if (word.length < 3) return word;
  const i = 1 + Math.floor(random() * (word.length - 2));
  switch (Math.floor(random() * 4)) {
    case 0:
      return word.slice(0, i) + word.slice(i + 1);
    case 1:
      return word.slice(0, i) + word[i] + word.slice(i);
    case 2:
      return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
    default:
      return word.slice(0, i) + 'aeioustnr'[Math.floor(random() * 9)] + word.slice(i + 1);
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** People in households, then their records with noise, in a shuffled order. */
export function* peopleRecords(options: PeopleOptions): Generator<Record<string, string>> {
  const random = seededRandom(options.seed ?? 1234);
  const layout = options.layout ?? 'street';
  const chance = (p: number) => random() < p;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const given = zipf(GIVEN, 1.0, random);
  const surname = zipf(SURNAMES, 0.9, random);
  const street = zipf(STREETS, 0.8, random);
  const place = zipf(CITIES, 0.7, random);
  const domain = zipf(DOMAINS.map(([d]) => d), 1.1, random);
  const address = (): Address => {
    const p = place();
    return { number: int(1, 400), street: street(), city: p.city, postcode: p.postcode };
  };
  let phoneSeq = 0;
  const phone = (prefix: string) => `${prefix}${pad(1_000_000 + (phoneSeq++ * 7_919) % 9_000_000, 7)}`;
  const taken = new Set<string>();
  const emailOf = (g: string, s: string, dobYear: number) => {
    const local = [`${g}.${s}`, `${g}${s}`, `${g[0]}${s}`, `${g}.${s}${dobYear % 100}`, `${s}.${g}${int(1, 99)}`][int(0, 4)]!;
    const at = domain();
    let email = `${local}@${at}`;
    // Numbers of more digits as a spelling gets crowded (a million people hold many john.smiths).
    for (let tries = 0; taken.has(email); tries++) email = `${local}${int(1, 10 ** (3 + Math.floor(tries / 10)) - 1)}@${at}`;
    taken.add(email);
    return email;
  };

  // People in households, until the records they will write reach the target.
  const people: { person: Person; records: number }[] = [];
  let planned = 0;
  let personSeq = 0;
  while (planned < options.records) {
    const family = surname();
    const home = address();
    const landline = chance(0.5) ? phone('+1212') : null;
    const size = chance(0.35) ? 1 : int(2, 5);
    const parentYear = int(1940, 1990);
    const members: Person[] = [];
    for (let k = 0; k < size && planned < options.records; k++) {
      const child = k >= 2;
      const twin = child && k >= 3 && chance(0.3) ? members[k - 1] : undefined;
      const year = child ? parentYear + int(20, 38) : parentYear + int(-4, 4);
      const dob = twin ? { ...twin.dob } : { y: year, m: int(1, 12), d: int(1, 28) };
      // A child named after a parent (a junior): the whole name shared, the date of birth not.
      // Otherwise no two of a household share a given name.
      const junior = child && chance(0.04);
      let g = junior ? members[0]!.given : given();
      while (!junior && members.some((m) => m.given === g)) g = given();
      const s = k === 1 && chance(0.2) ? surname() : family;
      const p: Person = {
        id: `p${personSeq++}`,
        given: g,
        surname: s,
        dob,
        home,
        // A couple sharing one inbox, now and then; otherwise an address of one's own.
        email: k === 1 && members[0]!.email && chance(0.05) ? members[0]!.email : chance(0.75) ? emailOf(g, s, dob.y) : null,
        mobile: chance(0.7) ? phone('+1917') : null,
        landline,
      };
      members.push(p);
      const records = Math.min(options.records - planned, chance(0.45) ? 1 : 1 + Math.min(8, Math.floor(-Math.log(1 - random()) * 1.6) + 1));
      people.push({ person: p, records });
      planned += records;
    }
  }

  // Each record: the person as one source system holds them.
  const rows: { person: Person; seq: number }[] = [];
  for (const { person, records } of people) for (let r = 0; r < records; r++) rows.push({ person, seq: r });
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  let recordSeq = 0;
  for (const { person, seq } of rows) {
    const original = seq === 0 && chance(0.5);
    const noisy = (p: number) => !original && chance(p);
    let g = person.given;
    let s = person.surname;
    if (noisy(0.1) && NICKNAMES[g]) g = NICKNAMES[g]![int(0, NICKNAMES[g]!.length - 1)]!;
    else if (noisy(0.04)) g = g[0]!;
    if (noisy(0.1)) g = typo(g, random);
    if (noisy(0.08)) s = typo(s, random);
    if (noisy(0.02)) [g, s] = [s, g];
    let { y, m, d } = person.dob;
    if (noisy(0.03) && d <= 12) [m, d] = [d, m];
    if (noisy(0.04)) d = Math.min(28, Math.max(1, d + int(-2, 2) || 1));
    if (noisy(0.02)) y += chance(0.5) ? 1 : -1;
    const dob = noisy(0.12) ? '' : `${y}-${pad(m)}-${pad(d)}`;
    const home = noisy(0.08) ? address() : person.home;
    const hasAddress = !noisy(0.15);
    const streetName = noisy(0.08) ? typo(home.street, random) : home.street;
    const city = noisy(0.05) ? typo(home.city, random) : home.city;
    const postcode = noisy(0.1) ? '' : noisy(0.03) ? typo(home.postcode, random) : home.postcode;
    const email = person.email && !noisy(0.5) ? (noisy(0.03) ? typo(person.email, random) : noisy(0.1) ? person.email.toUpperCase() : person.email) : '';
    const phoneNumber = noisy(0.35) ? '' : person.mobile && (chance(0.7) || !person.landline) ? person.mobile : (person.landline ?? '');
    const row: Record<string, string> = { record_id: `r${recordSeq++}` };
    if (layout === 'full_name') row.full_name = [g, s].filter(Boolean).join(' ');
    else Object.assign(row, { first_name: g, last_name: s });
    row.date_of_birth = dob;
    if (layout === 'split') Object.assign(row, { street_number: hasAddress && !noisy(0.05) ? String(home.number) : '', street: hasAddress ? streetName : '' });
    else row.street = hasAddress ? `${home.number} ${streetName}` : '';
    Object.assign(row, { city: hasAddress ? city : '', postal_code: hasAddress ? postcode : '', email, phone: phoneNumber, person_id: person.id });
    yield row;
  }
}

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** Writes the records as CSV; answers the number written. */
export function writePeopleCsv(file: string, options: PeopleOptions): number {
  const fd = fs.openSync(file, 'w');
  let header: string[] | null = null;
  let n = 0;
  let chunk: string[] = [];
  for (const row of peopleRecords(options)) {
    if (!header) {
      header = Object.keys(row);
      chunk.push(header.join(','));
    }
    chunk.push(header.map((h) => csvField(row[h] ?? '')).join(','));
    n++;
    if (chunk.length >= 10_000) {
      fs.writeSync(fd, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  if (chunk.length) fs.writeSync(fd, `${chunk.join('\n')}\n`);
  fs.closeSync(fd);
  return n;
}
