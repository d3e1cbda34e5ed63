// Dates as a person reads them. Details shows what the core kept and what a
// JWT says; the Unix seconds in them (`exp`, `iat`, a provider's
// `created_at`) are written as the local date and time instead.

/** Claims of RFC 7519 and OpenID Connect whose value is a NumericDate. */
const NUMERIC_DATES = new Set(["exp", "iat", "nbf", "auth_time", "updated_at"]);

/** "2 Dec 2026, 22:10:05" in the person's locale and time zone; "—" for none. */
export function when(t?: number | null): string {
  return t ? new Date(t * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }) : "—";
}

/** Whether `key`'s `value` is a date in Unix seconds (or milliseconds). */
function isDate(key: string, value: unknown): value is number | string {
  const n = typeof value === "string" && /^\d{9,13}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) return false;
  return NUMERIC_DATES.has(key) || /(_at|At|_time|_date)$/.test(key);
}

/** `value` read as a date: a local date-time, else the value as it was. */
export function readable(key: string, value: unknown): unknown {
  if (!isDate(key, value)) return value;
  const n = Number(value);
  return when(n > 1e11 ? Math.round(n / 1000) : n);
}

/** A claims object with every date in it readable, nested ones too. */
export function readableClaims(claims: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [
      k,
      v && typeof v === "object" && !Array.isArray(v) ? readableClaims(v as Record<string, unknown>) : readable(k, v),
    ]),
  );
}
