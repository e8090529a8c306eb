import { formatLabel } from './site-state.ts';
import type { Labels } from './theme.ts';

const rulesByLocale = new Map<string, Intl.PluralRules>();

/** A counted label: picks `key_one`, `key_few`, `key_other`… by the language's plural rules, then fills `{count}`. */
export function pluralLabel(
  labels: Labels,
  key: string,
  count: number,
  locale: string,
  values: Record<string, string | number> = {},
): string {
  let rules = rulesByLocale.get(locale);
  if (rules === undefined) {
    rules = new Intl.PluralRules(locale);
    rulesByLocale.set(locale, rules);
  }
  const category =
    count === 0 && labels[`${key}_zero`] !== undefined ? 'zero' : rules.select(count);
  const label = labels[`${key}_${category}`] ?? labels[`${key}_other`] ?? key;
  return formatLabel(label, { count: new Intl.NumberFormat(locale).format(count), ...values });
}
