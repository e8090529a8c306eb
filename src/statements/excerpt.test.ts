import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chooseExcerpt, type Excerpt, excerptFromHtml } from './excerpt.ts';

const english = (words: number) => ({ words, locale: 'en' });

const TAG = /<(\/?)([a-z][a-z0-9]*)((?: [a-z-]+="[^"<>]*")*)>/g;

/** Visible text of excerpt HTML, paragraphs separated by newlines and `<br>` as a newline. */
function textOf(html: string): string {
  return html
    .replaceAll('</p>', '\n')
    .replaceAll('<br>', '\n')
    .replace(TAG, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .trimEnd();
}

function wordsOf(text: string, locale: string): string[] {
  const segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
  return [...segmenter.segment(text)].filter((s) => s.isWordLike).map((s) => s.segment);
}

/** Words of `text` (segmented whole) that end at or before `offset`; throws if `offset` splits a word. */
function wordsEndingBy(text: string, offset: number, locale: string): number {
  let count = 0;
  for (const segment of new Intl.Segmenter(locale, { granularity: 'word' }).segment(text)) {
    const end = segment.index + segment.segment.length;
    if (segment.index < offset && end > offset && segment.isWordLike) {
      assert.fail(`offset ${offset} splits the word ${segment.segment}`);
    }
    if (segment.isWordLike && end <= offset) count++;
  }
  return count;
}

function withoutEllipsis(excerpt: Excerpt): string {
  return excerpt.truncated ? excerpt.html.replace(/ \.\.\.<\/p>$/, '</p>') : excerpt.html;
}

/** Fails unless every tag is closed in order, `<p>` is the only top-level element and text holds no raw `<` or `>`. */
function assertWellFormed(html: string): void {
  const open: string[] = [];
  let textStart = 0;
  for (const match of html.matchAll(TAG)) {
    const between = html.slice(textStart, match.index);
    assert.doesNotMatch(between, /[<>]/, `raw angle bracket in text of ${html}`);
    if (open.length === 0) assert.equal(between, '', `text outside a paragraph in ${html}`);
    textStart = match.index + match[0].length;
    const [, closing, name] = match;
    if (name === 'br') continue;
    if (closing === '/') {
      assert.equal(open.pop(), name, `mis-nested </${name}> in ${html}`);
    } else {
      assert.equal(name === 'p', open.length === 0, `<${name}> at the wrong depth in ${html}`);
      open.push(name as string);
    }
  }
  assert.equal(html.slice(textStart), '', `trailing text in ${html}`);
  assert.deepEqual(open, [], `unclosed tags in ${html}`);
}

describe('excerptFromHtml', () => {
  it('returns a short body unchanged, without an ellipsis', () => {
    const body = '<p>The council met <em>today</em>.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(10)), {
      html: '<p>The council met <em>today</em>.</p>',
      truncated: false,
    });
  });

  it('does not mark a body that has exactly the word limit', () => {
    const body = '<p>One two.</p>\n<p>Three four.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(4)), {
      html: '<p>One two.</p><p>Three four.</p>',
      truncated: false,
    });
  });

  it('cuts mid-paragraph right after the Nth word', () => {
    const body = '<p>The quick brown fox jumps over the lazy dog and runs far away.</p>\n';
    const excerpt = excerptFromHtml(body, english(5));
    assert.deepEqual(excerpt, { html: '<p>The quick brown fox jumps ...</p>', truncated: true });
    assert.deepEqual(wordsOf(textOf(withoutEllipsis(excerpt)), 'en'), [
      'The',
      'quick',
      'brown',
      'fox',
      'jumps',
    ]);
  });

  it('keeps earlier paragraphs whole when the cut falls in the third', () => {
    const body = '<p>First one.</p>\n<p>Second one here.</p>\n<p>Third has five words.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(7)), {
      html: '<p>First one.</p><p>Second one here.</p><p>Third has ...</p>',
      truncated: true,
    });
  });

  it('puts the ellipsis in the last kept paragraph when the limit ends a paragraph', () => {
    const body = '<p>One two three.</p>\n<p>Four five.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(3)), {
      html: '<p>One two three. ...</p>',
      truncated: true,
    });
  });

  it('closes a link cut in the middle, keeping its href, with the ellipsis outside it', () => {
    const body =
      '<p>Read <a href="https://example.org/report?year=2024&amp;page=2" title="The &quot;full&quot; report">the full annual report</a> today.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(3)), {
      html: '<p>Read <a href="https://example.org/report?year=2024&amp;page=2" title="The &quot;full&quot; report">the full</a> ...</p>',
      truncated: true,
    });
  });

  it('closes nested strong and em in reverse order', () => {
    const body = '<p>This is <strong>very <em>deeply nested</em> text</strong> indeed.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(4)), {
      html: '<p>This is <strong>very <em>deeply</em></strong> ...</p>',
      truncated: true,
    });
  });

  it('does not leave empty inline elements behind when the cut falls just before them', () => {
    const body = '<p>One two <a href="/x">three</a> four.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(2)), {
      html: '<p>One two ...</p>',
      truncated: true,
    });
  });

  it('drops inline elements left empty by a dropped image', () => {
    const body = '<p>See <a href="/x">this <em><img src="a.png" alt="a"></em></a> now.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(10)), {
      html: '<p>See <a href="/x">this </a>now.</p>',
      truncated: false,
    });
  });

  it('counts a word split by inline markup once', () => {
    const body = '<p><em>super</em>man is here</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(1)), {
      html: '<p><em>super</em>man ...</p>',
      truncated: true,
    });
  });

  it('keeps escaped text escaped', () => {
    const body = '<p>AT&amp;T says &lt;script&gt; tags &amp; more are fine.</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(20)), {
      html: '<p>AT&amp;T says &lt;script&gt; tags &amp; more are fine.</p>',
      truncated: false,
    });
    assert.deepEqual(excerptFromHtml(body, english(4)), {
      html: '<p>AT&amp;T says &lt;script&gt; ...</p>',
      truncated: true,
    });
  });

  it('turns headings, list items and blockquote paragraphs into paragraphs', () => {
    const body = [
      '<h2>Budget <em>news</em></h2>',
      '<ul>',
      '<li>Roads</li>',
      '<li>Schools<ol>',
      '<li>Primary</li>',
      '</ol>',
      '</li>',
      '</ul>',
      '<blockquote>',
      '<p>Quoted words.</p>',
      '</blockquote>',
      '',
    ].join('\n');
    assert.deepEqual(excerptFromHtml(body, english(50)), {
      html: '<p>Budget <em>news</em></p><p>Roads</p><p>Schools</p><p>Primary</p><p>Quoted words.</p>',
      truncated: false,
    });
  });

  it('turns loose list items into one paragraph each', () => {
    const body = '<ul>\n<li>\n<p>First item.</p>\n</li>\n<li>\n<p>Second item.</p>\n</li>\n</ul>\n';
    assert.deepEqual(
      excerptFromHtml(body, english(50)).html,
      '<p>First item.</p><p>Second item.</p>',
    );
  });

  it('drops images, code blocks and rules but keeps line breaks', () => {
    const body = [
      '<p><img src="chart.png" alt="A chart of spending"></p>',
      '<pre><code class="language-js">const secret = 1 &lt; 2;',
      '</code></pre>',
      '<hr>',
      '<p>Line one<br>',
      'line <code>two</code> <img src="x.png" alt="icon"> ends.</p>',
      '',
    ].join('\n');
    assert.deepEqual(excerptFromHtml(body, english(50)), {
      html: '<p>Line one<br>line <code>two</code> ends.</p>',
      truncated: false,
    });
  });

  it('collapses soft line breaks and block newlines into compact HTML', () => {
    const body = '\n<p>  One\ntwo   three  </p>\n\n<p>\nFour</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(50)).html, '<p>One two three</p><p>Four</p>');
  });

  it('drops a comma, colon or semicolon after the last word but keeps sentence and closing marks', () => {
    const body = '<p>She said "stop." Then (quietly) left: home; away, again? Yes!</p>\n';
    const cutAt = (words: number) => excerptFromHtml(body, english(words)).html;
    assert.equal(cutAt(3), '<p>She said "stop." ...</p>');
    assert.equal(cutAt(5), '<p>She said "stop." Then (quietly) ...</p>');
    assert.equal(cutAt(6), '<p>She said "stop." Then (quietly) left ...</p>');
    assert.equal(cutAt(7), '<p>She said "stop." Then (quietly) left: home ...</p>');
    assert.equal(cutAt(8), '<p>She said "stop." Then (quietly) left: home; away ...</p>');
    assert.equal(cutAt(9), '<p>She said "stop." Then (quietly) left: home; away, again? ...</p>');
  });

  it('applies the punctuation rule when the limit ends a paragraph followed by more text', () => {
    const body = '<p>Three things matter:</p>\n<ul>\n<li>time</li>\n</ul>\n';
    assert.equal(excerptFromHtml(body, english(3)).html, '<p>Three things matter ...</p>');
  });

  it('cuts Japanese text without spaces between whole segments', () => {
    const text = '吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。';
    const excerpt = excerptFromHtml(`<p>${text}</p>\n`, { words: 4, locale: 'ja' });
    assert.equal(excerpt.truncated, true);
    assert.match(excerpt.html, /^<p>[^<]+ \.\.\.<\/p>$/);
    const kept = textOf(withoutEllipsis(excerpt));
    assert.ok(text.startsWith(kept), `${kept} is not a prefix of the input`);
    assert.equal(wordsEndingBy(text, kept.length, 'ja'), 4);
  });

  it('cuts Chinese text at a word boundary and keeps a full stop but not a comma', () => {
    const text = '我们今天去公园散步，天气很好。明天再去。';
    const segments = [...new Intl.Segmenter('zh', { granularity: 'word' }).segment(text)];
    const words = segments.filter((s) => s.isWordLike);
    const cutAfter = (n: number) => {
      const last = words[n - 1];
      assert.ok(last !== undefined);
      return text.slice(0, last.index + last.segment.length);
    };
    const commaWord = words.findIndex((w) => text[w.index + w.segment.length] === '，') + 1;
    const stopWord = words.findIndex((w) => text[w.index + w.segment.length] === '。') + 1;
    assert.ok(commaWord > 0 && stopWord > commaWord);
    const cut = (n: number) => excerptFromHtml(`<p>${text}</p>`, { words: n, locale: 'zh' });
    assert.deepEqual(cut(commaWord), {
      html: `<p>${cutAfter(commaWord)} ...</p>`,
      truncated: true,
    });
    assert.deepEqual(cut(stopWord), {
      html: `<p>${cutAfter(stopWord)}。 ...</p>`,
      truncated: true,
    });
  });

  it('counts Arabic words and drops the Arabic comma at the cut', () => {
    const body = '<p>مرحبا بالعالم، هذا نص عربي قصير.</p>\n';
    const arabic = (words: number) => excerptFromHtml(body, { words, locale: 'ar' });
    assert.deepEqual(arabic(2), { html: '<p>مرحبا بالعالم ...</p>', truncated: true });
    assert.deepEqual(arabic(3), { html: '<p>مرحبا بالعالم، هذا ...</p>', truncated: true });
    assert.deepEqual(arabic(6), {
      html: '<p>مرحبا بالعالم، هذا نص عربي قصير.</p>',
      truncated: false,
    });
  });

  it('keeps reading past a paragraph that holds fewer words than it seems to', () => {
    const body = '<p>one ؟ ؟ ؟ ½ ²</p>\n<p>two three</p>\n';
    assert.deepEqual(excerptFromHtml(body, english(2)), {
      html: '<p>one ؟ ؟ ؟ ½ ²</p><p>two ...</p>',
      truncated: true,
    });
  });

  it('gives an empty excerpt for an empty or textless body', () => {
    const empty = { html: '', truncated: false };
    assert.deepEqual(excerptFromHtml('', english(30)), empty);
    assert.deepEqual(excerptFromHtml('\n\n', english(30)), empty);
    assert.deepEqual(
      excerptFromHtml('<p><img src="a.png" alt="a"></p>\n<hr>\n', english(30)),
      empty,
    );
  });

  it('rejects a word limit that is not a positive integer', () => {
    assert.throws(() => excerptFromHtml('<p>a</p>', english(0)), RangeError);
    assert.throws(() => excerptFromHtml('<p>a</p>', english(2.5)), RangeError);
  });
});

describe('chooseExcerpt', () => {
  const bodyHtml = '<p>Body one two three four.</p>\n';

  it('uses a non-blank summary whole, normalised to paragraphs', () => {
    const summaryHtml =
      '<p>A <strong>short</strong> summary that is longer than the limit.</p>\n<h3>Aside</h3>\n';
    assert.deepEqual(chooseExcerpt({ summaryHtml, bodyHtml }, english(2)), {
      html: '<p>A <strong>short</strong> summary that is longer than the limit.</p><p>Aside</p>',
      truncated: false,
    });
  });

  it('falls back to the cut body when the summary is missing or blank', () => {
    const fromBody = { html: '<p>Body one ...</p>', truncated: true };
    for (const summaryHtml of [
      null,
      '',
      '  \n',
      '<p> </p>\n',
      '<p>&nbsp;</p>',
      '<p><img src="a.png"></p>',
    ]) {
      assert.deepEqual(
        chooseExcerpt({ summaryHtml, bodyHtml }, english(2)),
        fromBody,
        String(summaryHtml),
      );
    }
  });
});

describe('excerptFromHtml properties', () => {
  const word = fc.string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
    minLength: 1,
    maxLength: 8,
  });
  const item = fc.record({
    word,
    wrap: fc.constantFrom('', 'em', 'strong', 'a', 'strong-em', 'code', 'image'),
    after: fc.constantFrom('', '', '', ',', '.', ';', '!', ' &amp;', ' &lt;'),
  });
  const block = fc.record({
    kind: fc.constantFrom('p', 'h2', 'li', 'quote', 'pre'),
    items: fc.array(item, { minLength: 1, maxLength: 25 }),
  });

  type Item = { word: string; wrap: string; after: string };
  const renderItem = ({ word, wrap, after }: Item) => {
    if (wrap === 'a') return `<a href="/w?q=${word}&amp;x=&quot;1&quot;">${word}</a>${after}`;
    if (wrap === 'strong-em') return `<strong><em>${word}</em></strong>${after}`;
    if (wrap === 'image')
      return `<em>${word}<strong><img src="i.png" alt="i"></strong></em>${after}`;
    return wrap === '' ? `${word}${after}` : `<${wrap}>${word}</${wrap}>${after}`;
  };
  const renderBlock = ({ kind, items }: { kind: string; items: Item[] }) => {
    const inline = items.map(renderItem).join(' ');
    if (kind === 'li') return `<ul>\n<li>${inline}</li>\n</ul>\n`;
    if (kind === 'quote') return `<blockquote>\n<p>${inline}</p>\n</blockquote>\n`;
    if (kind === 'pre') return `<pre><code>${items.map((i) => i.word).join(' ')}\n</code></pre>\n`;
    return `<${kind}>${inline}</${kind}>\n`;
  };

  it('keeps tags balanced, respects the limit and marks truncation exactly when words were dropped', () => {
    fc.assert(
      fc.property(
        fc.array(block, { minLength: 0, maxLength: 6 }),
        fc.integer({ min: 1, max: 80 }),
        (blocks, limit) => {
          const prose = blocks.filter((b) => b.kind !== 'pre');
          const inputWords = prose.reduce((total, b) => total + b.items.length, 0);
          const excerpt = excerptFromHtml(blocks.map(renderBlock).join(''), english(limit));
          assertWellFormed(excerpt.html);
          const outputWords = wordsOf(textOf(withoutEllipsis(excerpt)), 'en').length;
          assert.equal(excerpt.truncated, inputWords > limit);
          assert.equal(excerpt.html.endsWith(' ...</p>'), excerpt.truncated);
          assert.equal(outputWords, Math.min(limit, inputWords));
          if (!excerpt.truncated) {
            const expectedText = prose
              .map((b) =>
                b.items
                  .map((i) => `${i.word}${i.after.replace('&amp;', '&').replace('&lt;', '<')}`)
                  .join(' '),
              )
              .join('\n');
            assert.equal(textOf(excerpt.html), expectedText);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never splits a word of mixed-script text', () => {
    const mixed = fc.constantFrom(
      'word',
      '吾輩は猫である',
      'مرحبا',
      'สวัสดีครับ',
      'co-op',
      "it's",
      '3.14',
      '½',
      '—',
      '(x)',
    );
    fc.assert(
      fc.property(
        fc.array(mixed, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 30 }),
        (parts, limit) => {
          const text = parts.join(' ');
          const excerpt = excerptFromHtml(`<p>${text}</p>`, { words: limit, locale: 'en' });
          assertWellFormed(excerpt.html);
          const kept = textOf(withoutEllipsis(excerpt));
          assert.ok(text.startsWith(kept));
          const inputWords = wordsOf(text, 'en');
          assert.equal(excerpt.truncated, inputWords.length > limit);
          assert.equal(wordsEndingBy(text, kept.length, 'en'), Math.min(limit, inputWords.length));
        },
      ),
      { numRuns: 300 },
    );
  });
});
