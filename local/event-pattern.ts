/**
 * Local Amazon EventBridge event-pattern validator and matcher.
 *
 * Rules follow the AWS EventBridge user guide ("Event patterns", "Content filtering", "Arrays in event
 * patterns") and the conformance corpus in `shared/conformance/eventbridge-patterns/` (results recorded
 * against real AWS). Where both are silent, behaviour and error texts follow event-ruler, AWS's open-source
 * library behind EventBridge rules. Points the corpus confirms:
 * - a pattern is flattened to dotted paths (`{"a":{"b":[..]}}` ≡ `{"a.b":[..]}`), and so is the event;
 *   a key that repeats in one pattern object is resolved per path, the last one winning;
 * - numbers compare as numbers (`300.0` matches `[300]`, against the docs), within ±5e9 and 6 decimals;
 * - `anything-but` matches `null` but never a missing field; `exists` only sees leaf values.
 * From event-ruler, not covered by the corpus: fields matched inside objects of one array must come from the
 * same array element ("array consistency", `exists: false` included: see matchesBranch), and the wildcard
 * complexity limit (approximated).
 */

/** Thrown for every pattern AWS rejects with `InvalidEventPatternException`. */
export class InvalidEventPatternError extends Error {
  /** The reason alone, without the "Event pattern is not valid." lead-in. */
  readonly reason: string;
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternException';
    this.reason = reason;
  }
}

/** One flattened event value. `mem` lists the (array, index) pairs it sits in; `ip` caches its IP form. */
export interface Leaf {
  readonly kind: 'str' | 'num' | 'bool' | 'null';
  readonly text: string;
  readonly micros?: bigint | undefined;
  readonly mem: readonly (readonly [number, number])[];
  ip?: string | null;
}

/** One element of a pattern's value array: a value test, or an `exists` check. */
export type Condition = { readonly exists: boolean } | { readonly test: (leaf: Leaf) => boolean; readonly wildcards?: readonly string[] };

/** A validated pattern: alternatives (from `$or`), each mapping a dotted path to its conditions. */
export interface CompiledPattern {
  readonly branches: readonly ReadonlyMap<string, readonly Condition[]>[];
  /** Every path of the pattern and each of its dotted prefixes: the only parts of an event worth reading. */
  readonly prefixes: ReadonlySet<string>;
}

/**
 * Validates and compiles an EventBridge event pattern.
 *
 * @param pattern JSON text (parsed with AWS semantics: strict JSON, repeated keys resolved per path with the
 *   last one winning) or an already-parsed object.
 * @returns the compiled pattern, for {@link matchesEventPattern}.
 * @throws InvalidEventPatternError for malformed JSON and for every pattern AWS EventBridge rejects; the
 *   message follows AWS's ("Event pattern is not valid. Reason: ...").
 */
export function parseEventPattern(pattern: string | object): CompiledPattern {
  const root = typeof pattern === 'string' ? parseJson(pattern, fail) : toNode(pattern, fail);
  if (root.t !== 'obj') fail('Filter is not an object');
  const ctx: Ctx = { branches: [new Map()] };
  compileObject(root, [], ctx, false);
  for (const branch of ctx.branches) {
    for (const conds of branch.values()) {
      const wildcards = conds.flatMap((c) => ('wildcards' in c && c.wildcards) || []);
      if (wildcards.length > 0 && wildcardComplexity(wildcards) > MAX_WILDCARD_COMPLEXITY) {
        fail(
          'Rule is too complex - try using fewer wildcard characters or fewer repeating character ' +
            'sequences after a wildcard character',
        );
      }
    }
  }
  const prefixes = new Set<string>();
  for (const branch of ctx.branches) {
    for (const path of branch.keys()) {
      for (let at = path.indexOf('.'); at >= 0; at = path.indexOf('.', at + 1)) prefixes.add(path.slice(0, at));
      prefixes.add(path);
    }
  }
  return { branches: ctx.branches, prefixes };
}

/**
 * Tests an event against a compiled pattern, as EventBridge's TestEventPattern does.
 *
 * @param pattern from {@link parseEventPattern}.
 * @param event the event object, or its JSON text (number text is kept, so `300.0` behaves as on AWS).
 * @returns true when the event matches.
 * @throws SyntaxError when `event` is a string that is not a JSON object.
 */
export function matchesEventPattern(pattern: CompiledPattern, event: object | string): boolean {
  const bad = (m: string): never => {
    throw new SyntaxError(`Event is not valid JSON: ${m}`);
  };
  const root = typeof event === 'string' ? fromNode(parseJson(event, bad)) : event;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return bad('not an object');
  const fields = new Map<string, Leaf[]>();
  flatten(root, '', [], fields, { next: 0, wanted: pattern.prefixes });
  return pattern.branches.some((branch) => matchesBranch(branch, fields));
}

// ---------------------------------------------------------------------------------------------------------
// JSON: a strict parser that keeps repeated keys (in order) and the source text of numbers.

type JNode =
  | { t: 'obj'; entries: [string, JNode][] }
  | { t: 'arr'; items: JNode[] }
  | { t: 'str'; v: string }
  | { t: 'num'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

type Fail = (reason: string) => never;

function fail(reason: string): never {
  throw new InvalidEventPatternError(reason);
}

const EXPECTING_VALUE = "was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses JSON text; error texts mimic Jackson's, which AWS reports. */
function parseJson(text: string, bad: Fail): JNode {
  let i = 0;
  const show = (c: string): string => {
    const code = c.codePointAt(0) ?? 0;
    return code < 32 ? `(CTRL-CHAR, code ${code})` : `('${c}' (code ${code}))`;
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const unexpected = (what: string): never =>
    i >= text.length ? bad(`Unexpected end-of-input: ${what}`) : bad(`Unexpected character ${show(text[i]!)}: ${what}`);
  const str = (): string => {
    let out = '';
    i++; // opening quote
    for (;;) {
      if (i >= text.length) bad('Unexpected end-of-input: was expecting closing quote for a string value');
      const c = text[i++]!;
      if (c === '"') return out;
      if (c < ' ')
        bad(`Illegal unquoted character (${show(c).slice(1, -1)}): has to be escaped using backslash to be included in string value`);
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++] ?? bad('Unexpected end-of-input in character escape sequence');
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i, i + 4))) {
        out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
        i += 4;
      } else if (e in ESCAPES) out += ESCAPES[e]!;
      else bad(`Unrecognized character escape ${show(e).slice(1, -1)}`);
    }
  };
  let depth = 0;
  const value = (): JNode => {
    ws();
    if (depth > 1000) bad('Document nesting depth exceeds the maximum allowed (1000)');
    const c = text[i];
    /** Consumes the closing bracket of a container and leaves its nesting level. */
    const close = <T>(node: T): T => {
      i++;
      depth--;
      return node;
    };
    if (c === '{') {
      i++;
      depth++;
      const entries: [string, JNode][] = [];
      ws();
      if (text[i] === '}') return close({ t: 'obj', entries });
      for (;;) {
        ws();
        if (text[i] !== '"') unexpected('was expecting double-quote to start field name');
        const key = str();
        ws();
        if (text[i] !== ':') unexpected('was expecting a colon to separate field name and value');
        i++;
        entries.push([key, value()]);
        ws();
        if (text[i] === '}') return close({ t: 'obj', entries });
        if (text[i] !== ',') unexpected('was expecting comma to separate Object entries');
        i++;
      }
    }
    if (c === '[') {
      i++;
      depth++;
      const items: JNode[] = [];
      ws();
      if (text[i] === ']') return close({ t: 'arr', items });
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ']') return close({ t: 'arr', items });
        if (text[i] !== ',') unexpected('was expecting comma to separate Array entries');
        i++;
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num && !/[\w.]/.test(text[NUMBER.lastIndex] ?? '')) {
      i = NUMBER.lastIndex;
      return { t: 'num', v: num[0] };
    }
    const word = /[\w$.+-]+/y;
    word.lastIndex = i;
    const token = word.exec(text)?.[0];
    if (token === 'true' || token === 'false') {
      i += token.length;
      return { t: 'bool', v: token === 'true' };
    }
    if (token === 'null') {
      i += 4;
      return { t: 'null' };
    }
    if (token) bad(`Unrecognized token '${token}': ${EXPECTING_VALUE}`);
    return unexpected('expected a value');
  };
  const root = value();
  ws();
  if (i < text.length) unexpected('expected end-of-input');
  return root;
}

/** Converts an already-parsed JavaScript value to the parser's node form. */
function toNode(v: unknown, bad: Fail): JNode {
  if (v === null) return { t: 'null' };
  if (typeof v === 'string') return { t: 'str', v };
  if (typeof v === 'boolean') return { t: 'bool', v };
  if (typeof v === 'number') return Number.isFinite(v) ? { t: 'num', v: String(v) } : bad(`Non-finite number ${v}`);
  if (typeof v === 'bigint') return { t: 'num', v: String(v) };
  if (Array.isArray(v)) return { t: 'arr', items: v.map((x) => toNode(x, bad)) };
  if (typeof v === 'object') {
    const entries: [string, JNode][] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined) entries.push([k, toNode(x, bad)]);
    return { t: 'obj', entries };
  }
  return bad(`Unsupported value of type ${typeof v}`);
}

/** A JSON number of an event given as text, kept as written. */
class NumberText {
  constructor(readonly text: string) {}
}

/** Converts parsed event JSON to plain values (numbers as {@link NumberText}; a repeated key: the last wins). */
function fromNode(n: JNode): unknown {
  switch (n.t) {
    case 'obj':
      return Object.fromEntries(n.entries.map(([k, v]) => [k, fromNode(v)]));
    case 'arr':
      return n.items.map(fromNode);
    case 'num':
      return new NumberText(n.v);
    case 'null':
      return null;
    default:
      return n.v;
  }
}

/** Jackson's text for a token, used in a few AWS messages. */
function tokenText(n: JNode | undefined): string {
  if (!n) return ']';
  if (n.t === 'obj') return '{';
  if (n.t === 'arr') return '[';
  if (n.t === 'null') return 'null';
  return String(n.v);
}

// ---------------------------------------------------------------------------------------------------------
// Compiling a pattern (order of checks and texts of errors as in event-ruler's JsonRuleCompiler).

type Branch = Map<string, Condition[]>;
interface Ctx {
  branches: Branch[];
}

/** Names that may not be field names inside `$or` (event-ruler's reserved words). */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

function compileObject(obj: JNode & { t: 'obj' }, path: string[], ctx: Ctx, inOr: boolean): void {
  if (obj.entries.length === 0) fail('Empty objects are not allowed');
  for (const [key, val] of obj.entries) {
    if (key === '$or') {
      compileOr(val, path, ctx);
      continue;
    }
    if (inOr && RESERVED_IN_OR.has(key)) fail(`${key} is Ruler reserved fieldName which cannot be used inside $or.`);
    if (val.t === 'obj') compileObject(val, [...path, key], ctx, inOr);
    else if (val.t === 'arr') {
      const conds = compileValues(val.items);
      const name = [...path, key].join('.');
      for (const branch of ctx.branches) branch.set(name, conds); // a repeated path: the last one wins
    } else fail(`"${key}" must be an object or an array`);
  }
}

/** `$or` forks every current branch once per alternative. */
function compileOr(val: JNode, path: string[], ctx: Ctx): void {
  if (val.t !== 'arr') fail('It must be an Array followed with $or.');
  const forked: Branch[] = [];
  for (const alt of val.items) {
    if (alt.t !== 'obj') fail('Only JSON object is allowed in array of $or relationship.');
    const sub: Ctx = { branches: ctx.branches.map((b) => new Map(b)) };
    compileObject(alt, path, sub, true);
    forked.push(...sub.branches);
  }
  if (val.items.length < 2) fail('There must have at least 2 Objects in $or relationship.');
  ctx.branches = forked;
}

const isStr = (l: Leaf): boolean => l.kind === 'str';
const fold = (s: string): string => s.toLowerCase();

function compileValues(items: JNode[]): Condition[] {
  const conds = items.map((item): Condition => {
    switch (item.t) {
      case 'obj':
        return compileMatch(item.entries);
      case 'str': {
        const ip = parseIp(item.v);
        if (ip !== undefined) return { test: (l) => isStr(l) && leafIp(l) === ip };
        return { test: (l) => isStr(l) && l.text === item.v };
      }
      case 'num': {
        const micros = toMicros(item.v);
        const m = typeof micros === 'bigint' ? micros : undefined;
        return { test: (l) => l.kind === 'num' && (l.text === item.v || (m !== undefined && l.micros === m)) };
      }
      case 'bool':
      case 'null': {
        const text = tokenText(item);
        return { test: (l) => l.kind === item.t && l.text === text };
      }
      default:
        return fail('Match value must be String, number, true, false, or null');
    }
  });
  if (conds.length === 0) fail('Empty arrays are not allowed');
  return conds;
}

const ONE_KEY = 'Only one key allowed in match expression';
const TOO_MANY = 'Too many elements in numeric expression';

function compileMatch(entries: [string, JNode][]): Condition {
  const first = entries[0];
  if (!first) return fail('Match expression name not found');
  const [name, v] = first;
  const onlyOne = (cond: Condition, message = ONE_KEY): Condition => (entries.length > 1 ? fail(message) : cond);
  switch (name) {
    case 'prefix':
    case 'suffix': {
      const ends = (s: string, x: string): boolean => (name === 'prefix' ? s.startsWith(x) : s.endsWith(x));
      if (v.t === 'obj') {
        const [op, x] = v.entries[0] ?? fail(`${name === 'prefix' ? 'Prefix' : 'Suffix'} expression name not found`);
        if (op !== 'equals-ignore-case') fail(`Unsupported ${name} pattern: ${op}`);
        if (x.t !== 'str') fail('equals-ignore-case match pattern must be a string');
        if (v.entries.length > 1) fail(ONE_KEY);
        const want = fold(x.v);
        return onlyOne({ test: (l) => isStr(l) && ends(fold(l.text), want) });
      }
      if (v.t !== 'str') fail(`${name} match pattern must be a string`);
      return onlyOne({ test: (l) => isStr(l) && ends(l.text, v.v) });
    }
    case 'equals-ignore-case': {
      if (v.t !== 'str') fail('equals-ignore-case match pattern must be a string');
      const want = fold(v.v);
      return onlyOne({ test: (l) => isStr(l) && fold(l.text) === want });
    }
    case 'wildcard': {
      if (v.t !== 'str') fail('wildcard match pattern must be a string');
      const w = compileWildcard(v.v);
      return onlyOne({ test: (l) => isStr(l) && w(l.text), wildcards: [v.v] });
    }
    case 'exists':
      if (v.t !== 'bool') fail('exists match pattern must be either true or false.');
      return onlyOne({ exists: v.v });
    case 'cidr': {
      if (v.t !== 'str') fail('prefix match pattern must be a string');
      const [lo, hi] = cidrRange(v.v);
      return onlyOne({ test: (l) => inIpRange(l, lo, hi) });
    }
    case 'numeric':
      if (v.t !== 'arr') fail('Value of numeric must be an array.');
      return onlyOne(compileNumeric(v.items), TOO_MANY);
    case 'anything-but':
      return onlyOne(compileAnythingBut(v), TOO_MANY);
    default:
      return fail(`Unrecognized match type ${name}`);
  }
}

function compileAnythingBut(v: JNode): Condition {
  let op = '';
  let x = v;
  if (v.t === 'obj') {
    const first = v.entries[0] ?? fail('Anything-But expression name not found');
    [op, x] = first;
    if (!['equals-ignore-case', 'prefix', 'suffix', 'wildcard'].includes(op)) fail(`Unsupported anything-but pattern: ${op}`);
  }
  if (x.t !== 'arr' && x.t !== 'str' && x.t !== 'num') {
    fail('Value of anything-but must be an array or single string/number value.');
  }
  const values = x.t === 'arr' ? x.items : [x];
  if (v.t === 'obj' && v.entries.length > 1) fail(TOO_MANY);

  if (op === '') {
    // Plain anything-but: all strings or all numbers.
    if (values.some((n) => n.t !== 'str' && n.t !== 'num')) {
      fail('Inside anything but list, start|null|boolean is not supported.');
    }
    const strings = values.filter((n) => n.t === 'str').map((n) => n.v);
    if (values.length === 0 || (strings.length > 0 && strings.length < values.length)) {
      fail('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    if (strings.length > 0) {
      const set = new Set(strings);
      return { test: (l) => !(isStr(l) && set.has(l.text)) };
    }
    const nums = new Set(values.map((n) => patternMicros(tokenText(n))));
    return { test: (l) => !(l.kind === 'num' && l.micros !== undefined && nums.has(l.micros)) };
  }

  const texts = values.map((n) => {
    if (n.t === 'str') return n.v;
    if (op === 'equals-ignore-case') fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
    return fail(op === 'wildcard' ? 'wildcard match pattern must be a string' : 'prefix/suffix match pattern must be a string');
  });
  if ((op === 'prefix' || op === 'suffix') && texts.includes('')) fail('Null prefix/suffix not allowed');
  // Non-string values (numbers, booleans, null) are "anything but" a string test, so they match.
  switch (op) {
    case 'equals-ignore-case': {
      const set = new Set(texts.map(fold));
      return { test: (l) => !isStr(l) || !set.has(fold(l.text)) };
    }
    case 'prefix':
      return { test: (l) => !isStr(l) || !texts.some((t) => l.text.startsWith(t)) };
    case 'suffix':
      return { test: (l) => !isStr(l) || !texts.some((t) => l.text.endsWith(t)) };
    default: {
      const globs = texts.map(compileWildcard);
      return { test: (l) => !isStr(l) || !globs.some((g) => g(l.text)), wildcards: texts };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Numbers: AWS compares numbers between -5e9 and 5e9 with 6 decimals, i.e. as integer micro-units.

const FIVE_BILLION_MICROS = 5_000_000_000_000_000n;

/** Exact micro-units of a JSON number, or the reason it is not comparable (AWS's texts). */
function toMicros(text: string): bigint | string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return `Invalid number ${text}`;
  const [, sign, whole = '', frac = '', exp = '0'] = m;
  const digits = (whole + frac).replace(/^0+/, '');
  if (digits === '') return 0n;
  const significant = digits.replace(/0+$/, '');
  // value = significant * 10^(exp - frac.length + trailing zeros); in micro-units, 6 more.
  const scale = Number(exp) - frac.length + (digits.length - significant.length) + 6;
  if (scale < 0) return 'Only values upto 6 decimals are supported';
  const range = 'Value must be between -5.0E9 and 5.0E9, inclusive';
  if (significant.length + scale > 20) return range;
  const micros = BigInt(significant) * 10n ** BigInt(scale) * (sign ? -1n : 1n);
  return micros > FIVE_BILLION_MICROS || micros < -FIVE_BILLION_MICROS ? range : micros;
}

function patternMicros(text: string): bigint {
  const m = toMicros(text);
  return typeof m === 'bigint' ? m : fail(m);
}

function compileNumeric(items: JNode[]): Condition {
  const [op, val, op2, top] = items;
  if (op?.t !== 'str') return fail(`Invalid member in numeric match: ${tokenText(op)}`);
  const number = (n: JNode | undefined, o: string): bigint => (n?.t === 'num' ? patternMicros(n.v) : fail(`Value of ${o} must be numeric`));
  let lo = -FIVE_BILLION_MICROS;
  let hi = FIVE_BILLION_MICROS;
  let loOpen = false;
  let hiOpen = false;
  if (op.v === '=') {
    lo = hi = number(val, 'equals');
    if (items.length > 2) fail(TOO_MANY);
  } else if (op.v === '>' || op.v === '>=') {
    lo = number(val, op.v);
    loOpen = op.v === '>';
    if (items.length > 2) {
      if (op2?.t !== 'str') return fail(`Bad value in numeric range: ${tokenText(op2)}`);
      if (op2.v !== '<' && op2.v !== '<=') fail(`Bad numeric range operator: ${op2.v}`);
      hi = number(top, op2.v);
      hiOpen = op2.v === '<';
      if (items.length > 4) fail('Too many terms in numeric range expression');
    }
  } else if (op.v === '<' || op.v === '<=') {
    hi = number(val, op.v);
    hiOpen = op.v === '<';
    if (items.length > 2) fail(TOO_MANY);
  } else {
    fail(`Unrecognized numeric range operator: ${op.v}`);
  }
  if (op.v !== '=' && lo >= hi) fail('Bottom must be less than top');
  return {
    test: (l) =>
      l.kind === 'num' && l.micros !== undefined && (loOpen ? l.micros > lo : l.micros >= lo) && (hiOpen ? l.micros < hi : l.micros <= hi),
  };
}

// ---------------------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks, compared as fixed-width hex strings (8 digits for IPv4, 32 for IPv6).

const IPV4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** Hex form of an IP literal; undefined if `s` is not one. */
function parseIp(s: string): string | undefined {
  if (IPV4.test(s)) {
    const bytes = s.split('.').map(Number);
    return bytes.every((b) => b <= 255) ? bytes.map((b) => b.toString(16).padStart(2, '0')).join('') : undefined;
  }
  if (!IPV6.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  const given = groups.flat();
  if (given.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const missing = 8 - given.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = halves.length === 1 ? given : [...groups[0]!, ...Array<string>(missing).fill('0'), ...groups[1]!];
  return all.map((g) => g.toLowerCase().padStart(4, '0')).join('');
}

function leafIp(l: Leaf): string | null {
  if (l.ip === undefined) l.ip = (isStr(l) && parseIp(l.text)) || null;
  return l.ip;
}

/** [lowest, highest] hex address of a CIDR block. Like AWS, the range starts at the address as written. */
function cidrRange(cidr: string): [string, string] {
  const parts = cidr.split('/');
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // as Java's String.split
  if (parts.length !== 2) fail("Malformed CIDR, one '/' required");
  const [addr, bits] = parts as [string, string];
  if (!/^[+-]?\d+$/.test(bits) || Math.abs(Number(bits)) > 2 ** 31) fail('Malformed CIDR, mask bits must be an integer');
  const mask = Number(bits);
  if (mask < 0) fail('Malformed CIDR, mask bits must not be negative');
  if (!IPV4.test(addr) && !IPV6.test(addr)) fail(`Nonstandard IP address: ${addr}`);
  const lo = parseIp(addr) ?? fail(`Invalid IP address: ${addr}`);
  const width = lo.length * 4;
  if (mask >= width) fail(width === 32 ? 'IPv4 mask bits must be < 32' : 'IPv6 mask bits must be < 128');
  const hostBits = (1n << BigInt(width - mask)) - 1n;
  const hi = (BigInt(`0x${lo}`) | hostBits).toString(16).padStart(lo.length, '0');
  return [lo, hi];
}

function inIpRange(l: Leaf, lo: string, hi: string): boolean {
  const ip = leafIp(l);
  return ip !== null && ip.length === lo.length && ip >= lo && ip <= hi;
}

// ---------------------------------------------------------------------------------------------------------
// Wildcards: `*` matches any run of characters; `\*` and `\\` are literal.

/** Validates a wildcard (errors as AWS, positions counted in UTF-8 bytes of the quoted value). */
function wildcardSegments(w: string): string[] {
  const bytes = Buffer.from(`"${w}"`, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x2a && bytes[i + 1] === 0x2a) fail(`Consecutive wildcard characters at pos ${i}`);
    if (bytes[i] === 0x5c) {
      if (bytes[i + 1] !== 0x2a && bytes[i + 1] !== 0x5c) fail(`Invalid escape character at pos ${i}`);
      i++;
    }
  }
  const segments = [''];
  for (let i = 0; i < w.length; i++) {
    if (w[i] === '*') segments.push('');
    else segments[segments.length - 1] += w[i] === '\\' ? w[++i]! : w[i]!;
  }
  return segments;
}

function compileWildcard(w: string): (s: string) => boolean {
  const segs = wildcardSegments(w);
  const head = segs[0]!;
  const tail = segs[segs.length - 1]!;
  if (segs.length === 1) return (s) => s === head;
  return (s) => {
    if (s.length < head.length + tail.length || !s.startsWith(head) || !s.endsWith(tail)) return false;
    let pos = head.length;
    const end = s.length - tail.length;
    for (const seg of segs.slice(1, -1)) {
      const at = s.indexOf(seg, pos);
      if (at < 0 || at + seg.length > end) return false;
      pos = at + seg.length;
    }
    return true;
  };
}

/**
 * AWS rejects wildcard rules whose matching would be too non-deterministic. Like event-ruler's
 * MachineComplexityEvaluator, this runs the wildcards of one field as an automaton over every reachable set of
 * states, and takes the largest number of states live at once. The limit is calibrated on the corpus.
 */
const MAX_WILDCARD_COMPLEXITY = 10;

function wildcardComplexity(wildcards: readonly string[]): number {
  // Token lists of the quoted values; null is a `*` (which also stays live: it loops on every character).
  const nfas = wildcards.map((w) => {
    const tokens: (string | null)[] = ['"'];
    wildcardSegments(w).forEach((seg, n) => {
      tokens.push(...(n > 0 ? [null] : []), ...seg);
    });
    return [...tokens, '"'];
  });
  const close = (states: Set<string>): Set<string> => {
    for (const s of states) {
      const [k, i] = s.split(':').map(Number) as [number, number];
      if (nfas[k]![i] === null) states.add(`${k}:${i + 1}`);
    }
    return states;
  };
  const alphabet = new Set<string>(['\u0000']);
  for (const tokens of nfas) for (const t of tokens) if (t !== null) alphabet.add(t);
  const seen = new Set<string>();
  const queue = [close(new Set(nfas.map((_, k) => `${k}:0`)))];
  let max = 0;
  while (queue.length > 0 && seen.size < 100_000) {
    const states = queue.pop()!;
    const key = [...states].sort().join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    let live = 0;
    for (const s of states) {
      const [k, i] = s.split(':').map(Number) as [number, number];
      if (i < nfas[k]!.length) live++;
    }
    if (live > MAX_WILDCARD_COMPLEXITY) return live;
    max = Math.max(max, live);
    for (const ch of alphabet) {
      const next = new Set<string>();
      for (const s of states) {
        const [k, i] = s.split(':').map(Number) as [number, number];
        const t = nfas[k]![i];
        if (t === null) next.add(s);
        else if (t === ch) next.add(`${k}:${i + 1}`);
      }
      if (next.size > 0) queue.push(close(next));
    }
  }
  return queue.length > 0 ? Infinity : max;
}

// ---------------------------------------------------------------------------------------------------------
// Matching.

/**
 * Flattens an event to dotted paths, reading only the parts the pattern names; array elements become
 * separate leaves tagged with their position.
 */
function flatten(
  v: unknown,
  path: string,
  mem: Leaf['mem'],
  out: Map<string, Leaf[]>,
  ctx: { next: number; wanted: ReadonlySet<string> },
): void {
  let leaf: Leaf;
  if (v === null) leaf = { kind: 'null', text: 'null', mem };
  else if (typeof v === 'string') leaf = { kind: 'str', text: v, mem };
  else if (typeof v === 'boolean') leaf = { kind: 'bool', text: String(v), mem };
  else if (typeof v === 'number' || typeof v === 'bigint' || v instanceof NumberText) {
    const text = v instanceof NumberText ? v.text : String(v);
    const micros = toMicros(text);
    leaf = { kind: 'num', text, micros: typeof micros === 'bigint' ? micros : undefined, mem };
  } else if (Array.isArray(v)) {
    const id = ctx.next++;
    v.forEach((item, index) => {
      flatten(item, path, [...mem, [id, index]], out, ctx);
    });
    return;
  } else if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      if (ctx.wanted.has(p)) flatten(x, p, mem, out, ctx);
    }
    return;
  } else return; // undefined, functions: not JSON
  const list = out.get(path);
  if (list) list.push(leaf);
  else out.set(path, [leaf]);
}

/**
 * Fields AND together, a field's conditions OR together; the chosen leaves must agree on array elements.
 *
 * Array consistency follows event-ruler (StructuredFinder / ACFinder, the same results): a rule's fields are
 * walked in sorted key order, each value leaf chosen must sit in the same element of every array already
 * bound by an earlier field, and `exists: false` holds when no leaf of that field is consistent with the
 * elements bound so far (a leaf in another element of the same array does not count). Because binding
 * happens in key order, `exists: false` on a key that sorts before the keys that bind the array sees every
 * element, exactly as event-ruler does; value-only patterns do not depend on the order.
 */
function matchesBranch(branch: ReadonlyMap<string, readonly Condition[]>, fields: Map<string, Leaf[]>): boolean {
  interface Step {
    path: string;
    /** Every leaf of the path (what an `exists: false` must not find). */
    leaves: Leaf[];
    /** Leaves that satisfy a value condition (or `exists: true`). */
    matching: Leaf[];
    absentOk: boolean;
  }
  const steps: Step[] = [];
  for (const [path, conds] of branch) {
    const leaves = fields.get(path) ?? [];
    const absentOk = conds.some((c) => 'exists' in c && !c.exists);
    const anyLeaf = conds.some((c) => 'exists' in c && c.exists);
    const matching = anyLeaf ? leaves : leaves.filter((l) => conds.some((c) => 'test' in c && c.test(l)));
    if (matching.length === 0 && !absentOk) return false;
    // Absent everywhere: true whatever the other fields bind, so it constrains nothing.
    if (absentOk && leaves.length === 0) continue;
    steps.push({ path, leaves, matching, absentOk });
  }
  // Without `exists: false` the answer does not depend on the order: try the most selective field first.
  // With it, keep event-ruler's order, sorted keys (UTF-16 order, as Java's String.compareTo).
  if (steps.some((s) => s.absentOk)) steps.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  else steps.sort((a, b) => a.matching.length - b.matching.length);
  const consistent = (leaf: Leaf, chosen: ReadonlyMap<number, number>): boolean =>
    leaf.mem.every(([id, index]) => (chosen.get(id) ?? index) === index);
  // Failed (step, bindings) pairs, so that independent arrays cannot make the search exponential.
  const failed = new Set<string>();
  const pick = (n: number, chosen: Map<number, number>): boolean => {
    const step = steps[n];
    if (!step) return true;
    const key = `${n}|${[...chosen]
      .sort((a, b) => a[0] - b[0])
      .map(([id, index]) => `${id}:${index}`)
      .join(',')}`;
    if (failed.has(key)) return false;
    if (step.absentOk && !step.leaves.some((l) => consistent(l, chosen)) && pick(n + 1, chosen)) return true;
    for (const leaf of step.matching) {
      if (!consistent(leaf, chosen)) continue;
      const next = new Map(chosen);
      for (const [id, index] of leaf.mem) next.set(id, index);
      if (pick(n + 1, next)) return true;
    }
    failed.add(key);
    return false;
  };
  return pick(0, new Map());
}
