import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const LOCALES = new URL('../../themes/default/locales/', import.meta.url);
const LANGUAGES = ['es', 'fr', 'de', 'tr', 'ar', 'el'] as const;
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

type Catalog = Record<string, unknown>;

function readCatalog(language: string): Catalog {
  const file = new URL(`${language}.json`, LOCALES);
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    assert.fail(`${language}.json: does not parse as JSON: ${(error as Error).message}`);
  }
  assert.ok(
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed),
    `${language}.json: is not a JSON object`,
  );
  return parsed as Catalog;
}

function placeholders(label: string): string[] {
  return [...new Set([...label.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? ''))].sort();
}

/** Every problem of a catalog compared with the English one, each naming language, key and problem. */
export function catalogProblems(language: string, english: Catalog, catalog: Catalog): string[] {
  const problems: string[] = [];
  const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
  const englishKeys = Object.keys(english);
  const pluralBases = new Set(
    englishKeys
      .filter((key) => PLURAL_SUFFIX.test(key))
      .map((key) => key.replace(PLURAL_SUFFIX, '')),
  );
  const englishLabel = (key: string): string => {
    const base = key.replace(PLURAL_SUFFIX, '');
    if (pluralBases.has(base)) return String(english[`${base}_other`] ?? '');
    return String(english[key] ?? '');
  };

  for (const key of englishKeys) {
    if (PLURAL_SUFFIX.test(key)) continue;
    if (!(key in catalog)) problems.push(`${language}: key "${key}" is missing`);
  }
  for (const base of pluralBases) {
    for (const category of categories) {
      if (!(`${base}_${category}` in catalog)) {
        problems.push(
          `${language}: plural key "${base}_${category}" is missing (CLDR categories for ${language}: ${categories.join(', ')})`,
        );
      }
    }
  }
  for (const [key, value] of Object.entries(catalog)) {
    const base = key.replace(PLURAL_SUFFIX, '');
    const isPluralForm = PLURAL_SUFFIX.test(key) && pluralBases.has(base);
    if (!isPluralForm && !(key in english)) {
      problems.push(`${language}: key "${key}" does not exist in en.json`);
      continue;
    }
    const category = key.match(PLURAL_SUFFIX)?.[1] ?? '';
    if (
      isPluralForm &&
      category !== 'zero' &&
      !categories.includes(category as Intl.LDMLPluralRule)
    ) {
      problems.push(
        `${language}: plural key "${key}" uses category "${category}", which ${language} does not have (only zero and ${categories.join(', ')})`,
      );
    }
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${language}: key "${key}" must be a non-empty string`);
      continue;
    }
    const expected = placeholders(englishLabel(key));
    let actual = placeholders(value);
    // A plural form may spell its number out ("بيانان", "un seul"), so {count} is optional there.
    if (isPluralForm && expected.includes('count') && !actual.includes('count')) {
      actual = [...actual, 'count'].sort();
    }
    if (actual.join() !== expected.join()) {
      problems.push(
        `${language}: key "${key}" has placeholders {${placeholders(value).join('}, {')}} but en.json has {${expected.join('}, {')}}`,
      );
    }
  }
  return problems;
}

const english = readCatalog('en');

for (const language of LANGUAGES) {
  test(`${language}.json has every key of en.json, no others, and matching placeholders`, () => {
    const problems = catalogProblems(language, english, readCatalog(language));
    assert.deepEqual(problems, [], `${language}.json:\n${problems.join('\n')}`);
  });
}

test('the check reports a missing key, a missing plural category, an extra key and a placeholder', () => {
  const broken: Catalog = { ...readCatalog('ar') };
  delete broken.nav_about;
  delete broken.archive_count_two;
  broken.nav_blog = 'مدونة';
  broken.page_of = 'الصفحة {page}';
  broken.signed_by = '';
  broken.archive_count_extra = '{count}';
  const problems = catalogProblems('ar', english, broken);
  assert.deepEqual(problems, [
    'ar: key "nav_about" is missing',
    'ar: plural key "archive_count_two" is missing (CLDR categories for ar: zero, one, two, few, many, other)',
    'ar: key "page_of" has placeholders {page} but en.json has {page}, {pages}',
    'ar: key "signed_by" must be a non-empty string',
    'ar: key "nav_blog" does not exist in en.json',
    'ar: key "archive_count_extra" does not exist in en.json',
  ]);
  assert.deepEqual(
    catalogProblems('de', english, {
      ...readCatalog('de'),
      archive_count_few: '{count} Erklärungen',
    }),
    [
      'de: plural key "archive_count_few" uses category "few", which de does not have (only zero and one, other)',
    ],
  );
});
