// The connect dialog's state for one provider of the catalogue: its first
// values (the fields' defaults), which fields show for the chosen grant,
// and the draft it sends. Whether the values are right is the core's to
// say (`checkDraft`, the rules `latch add` uses); nothing is checked here.

import type { AccountDraft } from "./bindings/AccountDraft";
import type { Field } from "./bindings/Field";
import type { Grant } from "./bindings/Grant";
import type { When } from "./bindings/When";
import type { FieldProblem } from "./bindings/FieldProblem";
import type { Provider } from "./providers";

export type Values = Record<string, string>;

export function initialValues(provider: Provider): Values {
  return Object.fromEntries(
    provider.fields.map((f) => [f.name, f.default ?? (f.kind === "checkbox" ? "false" : "")]),
  );
}

/** The grant the values ask for: the grant field's choice, or the provider's only one. */
export function grantOf(provider: Provider, values: Values): Grant | null {
  const field = provider.fields.find((f) => f.name === "grant");
  if (field) return ((values.grant || field.default) as Grant | null) ?? null;
  return provider.grants[0] ?? null;
}

function holds(when: When, grant: Grant | null): boolean {
  switch (when.when) {
    case "never":
      return false;
    case "always":
      return true;
    case "grants":
      return grant !== null && when.grants.includes(grant);
    case "not-grants":
      return grant === null || !when.grants.includes(grant);
  }
}

/** The fields that apply to the chosen grant, in the catalogue's order. */
export function visibleFields(provider: Provider, values: Values): Field[] {
  const grant = grantOf(provider, values);
  return provider.fields.filter((f) => holds(f.shown, grant) || holds(f.required, grant));
}

export function isRequired(provider: Provider, values: Values, field: Field): boolean {
  return holds(field.required, grantOf(provider, values));
}

/** The `add_account` draft: the values by field name, the secret apart. */
export function toDraft(provider: Provider, values: Values): AccountDraft {
  const draft: AccountDraft = { provider: provider.kind, values: {} };
  for (const field of visibleFields(provider, values)) {
    const value = values[field.name] ?? "";
    if (field.kind === "secret") {
      if (value) draft.secret = value;
    } else {
      draft.values[field.name] = value;
    }
  }
  return draft;
}

/**
 * The draft as `checkDraft` sees it: a secret's rule is only that it is
 * there, so the check is told that one was typed, never what it is. The
 * secret itself crosses once, with `addAccount`.
 */
export function forChecking(draft: AccountDraft): AccountDraft {
  return draft.secret === undefined ? draft : { ...draft, secret: "(typed)" };
}

/** The core's problems, by field name (the first of each). */
export function byField(problems: FieldProblem[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of problems) errors[p.field] ??= p.message;
  return errors;
}

/** Whether the provider's servers can be discovered from an issuer: its form has an `issuer` field (Other OAuth 2.0). */
export const discovers = (provider: Provider) => provider.fields.some((f) => f.name === "issuer");

/**
 * The values the person has set, for discovery to fill around: every field
 * but the secret, left out where it is empty or still at the form's first
 * value (a default is not a choice, so the server's answer may replace it,
 * as `latch add --issuer` fills what no flag set).
 */
export function personsValues(provider: Provider, values: Values): Values {
  const first = initialValues(provider);
  const set: Values = {};
  for (const field of provider.fields) {
    const value = values[field.name] ?? "";
    if (field.kind === "secret" || !value.trim() || value === first[field.name]) continue;
    set[field.name] = value;
  }
  return set;
}
