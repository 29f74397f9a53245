// IMAP dates (RFC 9051 §9):
//   date       = date-text / DQUOTE date-text DQUOTE          (SEARCH BEFORE/ON/SINCE …)
//   date-text  = date-day "-" date-month "-" date-year         date-day = 1*2DIGIT
//   date-time  = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
//   date-day-fixed = (SP DIGIT) / 2DIGIT;  time = 2DIGIT ":" 2DIGIT ":" 2DIGIT;  zone = ("+" / "-") 4DIGIT
// Parsing is strict (no two-digit years, no named zones, no impossible days), because a date
// that two implementations read differently selects different messages.

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const MONTH_INDEX = new Map<string, number>(MONTHS.map((m, i) => [m.toLowerCase(), i + 1]));

/** A calendar day, as SEARCH compares them (RFC 9051 §6.4.4: "disregarding time and timezone"). */
export interface ImapDate {
  year: number;
  month: number;
  day: number;
}

/** An APPEND date-time: the instant and the zone offset the client wrote (minutes east of UTC). */
export interface ImapDateTime {
  ms: number;
  offsetMinutes: number;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const DATE_TEXT = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/;
const DATE_TIME = /^( \d|\d{2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

function checkDay(day: number, monthName: string, year: number): ImapDate | null {
  const month = MONTH_INDEX.get(monthName.toLowerCase());
  if (month === undefined || year < 1 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

/** Parses date-text ("1-Feb-1994"); the caller has already removed the optional quotes. */
export function parseSearchDate(text: string): ImapDate | null {
  const m = DATE_TEXT.exec(text);
  if (!m) return null;
  return checkDay(Number(m[1]), m[2], Number(m[3]));
}

/** Parses the inside of a date-time ("17-Jul-1996 02:44:25 -0700"), without its quotes. */
export function parseDateTime(text: string): ImapDateTime | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const date = checkDay(Number(m[1].trim()), m[2], Number(m[3]));
  if (!date) return null;
  const [hh, mm, ss, zh, zm] = [m[4], m[5], m[6], m[8], m[9]].map(Number);
  if (hh > 23 || mm > 59 || ss > 60 || zm > 59) return null;
  const offsetMinutes = (m[7] === '-' ? -1 : 1) * (zh * 60 + zm);
  // A leap second (":60") is folded into the next second: JavaScript time has none.
  const t = new Date(Date.UTC(2000, 0, 1, hh, mm, ss));
  // setUTCFullYear, because Date.UTC reads years 0–99 as 1900–1999.
  t.setUTCFullYear(date.year, date.month - 1, date.day);
  const local = t.getTime();
  return { ms: local - offsetMinutes * 60_000, offsetMinutes };
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/**
 * Formats an INTERNALDATE: "17-Jul-1996 02:44:25 -0700" (date-day-fixed pads with a space).
 * Returns the text without quotes.
 */
export function formatDateTime(ms: number, offsetMinutes = 0): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const day = d.getUTCDate();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${day < 10 ? ' ' + day : day}-${MONTHS[d.getUTCMonth()]}-${String(d.getUTCFullYear()).padStart(4, '0')} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ` +
    `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`
  );
}

/** Formats a SEARCH-style date ("1-Feb-1994"). */
export function formatDate(date: ImapDate): string {
  return `${date.day}-${MONTHS[date.month - 1]}-${String(date.year).padStart(4, '0')}`;
}

/** The day an instant falls on, in the given zone (SEARCH SINCE compares INTERNALDATE days). */
export function dayOf(ms: number, offsetMinutes = 0): ImapDate {
  const d = new Date(ms + offsetMinutes * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Orders two days: negative, zero or positive. */
export function compareDates(a: ImapDate, b: ImapDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}
