import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { HtmlValidate } from 'html-validate';
import { sql } from 'kysely';
import sharp from 'sharp';
import { CSRF_COOKIE } from '../src/admin/csrf.ts';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { attr, Dom } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

interface FilePart {
  data: Uint8Array;
  name: string;
  type: string;
}

interface Answer {
  status: number;
  location: string | null;
  html: string;
}

/** Posts the upload form as a browser does: multipart, with the session cookies and the CSRF field. */
async function upload(
  site: TestSite,
  client: BackOfficeClient,
  fields: { file?: FilePart; alt?: string; csrf?: string | null },
): Promise<Answer> {
  const form = new FormData();
  const token = fields.csrf === undefined ? client.csrf : fields.csrf;
  if (token !== null) form.append('_csrf', token);
  if (fields.alt !== undefined) form.append('alt', fields.alt);
  if (fields.file !== undefined)
    form.append('file', new Blob([fields.file.data], { type: fields.file.type }), fields.file.name);
  const cookie = ['communique_session', CSRF_COOKIE]
    .map((name) => [name, client.cookie(name)])
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
  const response = await fetch(`${site.origin}/admin/media`, {
    method: 'POST',
    headers: { cookie },
    body: form,
    redirect: 'manual',
  });
  return {
    status: response.status,
    location: response.headers.get('location'),
    html: await response.text(),
  };
}

/** A photo as phones take them: rotated by EXIF, with camera details and a GPS position. */
async function photoWithLocation(): Promise<Buffer> {
  return sharp({ create: { width: 2400, height: 1800, channels: 3, background: '#b8432f' } })
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Make: 'Test camera', Model: 'GPS 1' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 2400/100',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 21/1 0/1',
      },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A tiny PNG whose header claims `width` × `height`: metadata says huge, the bytes are not. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  // IHDR data starts at byte 16 (8-byte signature, 4-byte length, 4-byte type); its CRC follows at 29.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

function jpeg(data: Buffer, name = 'photo.jpg'): FilePart {
  return { data, name, type: 'image/jpeg' };
}

const html5 = new HtmlValidate({
  extends: ['html-validate:recommended', 'html-validate:a11y'],
  rules: { 'no-raw-characters': 'off', 'long-title': 'off' },
});

for (const engine of await testEngines()) {
  describe(`[${engine}] media`, () => {
    let site: TestSite;
    let mediaDir: string;
    let editor: BackOfficeClient;

    const mediaRows = () =>
      site.handle.db.selectFrom('media').selectAll().orderBy('id', 'desc').execute();
    const filesOnDisk = async () => (await readdir(mediaDir)).sort();

    /** Runs `action` and checks it left no row and no file behind. */
    const writesNothing = async (action: () => Promise<void>) => {
      const rowsBefore = (await mediaRows()).length;
      const filesBefore = await filesOnDisk();
      await action();
      assert.equal((await mediaRows()).length, rowsBefore, 'no media row was added');
      assert.deepEqual(await filesOnDisk(), filesBefore, 'no file was written or left behind');
    };

    before(async () => {
      mediaDir = await mkdtemp(path.join(tmpdir(), 'communique-media-'));
      site = await startTestSite(engine, { env: { MEDIA_DIR: path.join(mediaDir, 'uploads') } });
      mediaDir = path.join(mediaDir, 'uploads');
      await addUser(site.handle, 'media-editor@example.org', 'editor');
      editor = new BackOfficeClient(site.origin);
      await editor.signIn('media-editor@example.org', TEST_PASSWORD);
    });
    after(async () => {
      await site?.close();
      if (mediaDir) await rm(path.dirname(mediaDir), { recursive: true, force: true });
    });

    test('the library offers an upload form that works without JavaScript', async () => {
      const page = await editor.get('/admin/media');
      assert.equal(page.status, 200);
      const dom = new Dom(page.html);
      const form = dom.one('form[action="/admin/media"]');
      assert.equal(attr(form, 'method'), 'post');
      assert.equal(attr(form, 'enctype'), 'multipart/form-data');
      assert.match(attr(dom.one('input[name="_csrf"]', form), 'value') ?? '', /^[\w-]{43,}/);
      const file = dom.one('input[type="file"][name="file"]', form);
      assert.equal(attr(dom.one(`label[for="${attr(file, 'id')}"]`), 'for'), attr(file, 'id'));
      const alt = dom.one('input[name="alt"]', form);
      assert.notEqual(attr(alt, 'required'), undefined, 'alt text is required');
      assert.ok(dom.maybe(`label[for="${attr(alt, 'id')}"]`), 'the alt field has a label');
      assert.match(page.html, /No images have been uploaded yet/);
    });

    test('a GPS-tagged photo is turned upright, resized, and published with no EXIF left', async () => {
      const original = await photoWithLocation();
      const before = await sharp(original).metadata();
      assert.ok(before.exif, 'the fixture carries EXIF');
      assert.ok(before.exif.includes(Buffer.from([0x25, 0x88])), 'the fixture has a GPS block');

      const answer = await upload(site, editor, {
        file: jpeg(original, 'IMG_0042 holiday.jpg'),
        alt: 'Marchers behind a banner reading "Homes not evictions"',
      });
      assert.equal(answer.status, 303);
      assert.equal(answer.location, '/admin/media?notice=uploaded');

      const [row] = await mediaRows();
      assert.ok(row);
      assert.equal(row.alt, 'Marchers behind a banner reading "Homes not evictions"');
      assert.equal(row.original_name, 'IMG_0042 holiday.jpg');
      assert.equal(row.mime_type, 'image/jpeg');
      assert.deepEqual([row.width, row.height], [1800, 2400], 'EXIF orientation applied');
      assert.equal(row.bytes, original.length);

      const variants = JSON.parse(row.variants) as {
        width: number;
        height: number;
        format: string;
        file: string;
      }[];
      assert.deepEqual(
        variants.map((variant) => `${variant.width}x${variant.height}.${variant.format}`),
        [
          '480x640.webp',
          '480x640.jpg',
          '960x1280.webp',
          '960x1280.jpg',
          '1600x2133.webp',
          '1600x2133.jpg',
        ],
        'the standard widths, capped at 1600 px, in WebP and JPEG',
      );
      const files = await filesOnDisk();
      assert.deepEqual(files, variants.map((variant) => variant.file).sort());
      for (const file of files) {
        assert.ok(!file.includes('IMG_0042') && !file.includes('holiday'), 'random names only');
        const written = await sharp(path.join(mediaDir, file)).metadata();
        assert.ok(written.width <= 1800 && written.height <= 2400, `${file} is not upscaled`);
        assert.equal(written.exif, undefined, `${file} has no EXIF (and so no GPS)`);
        assert.equal(written.xmp, undefined, `${file} has no XMP`);
        assert.equal(written.iptc, undefined, `${file} has no IPTC`);
        assert.equal(written.orientation, undefined, `${file} is stored upright`);
        assert.equal(written.format, file.endsWith('.webp') ? 'webp' : 'jpeg');
      }

      const audit = await site.handle.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'media.uploaded')
        .execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]?.actor_label, 'media-editor@example.org');
    });

    test('the library lists the upload with its Markdown, and the editor offers an insert button', async () => {
      const page = await editor.get('/admin/media?notice=uploaded');
      assert.equal(page.status, 200);
      const dom = new Dom(page.html);
      assert.match(dom.text('.notice'), /Image uploaded/);
      const [row] = await mediaRows();
      assert.ok(row);
      const item = dom.one(`#media-${row.id}`);
      const markdown = dom.text('code', item);
      assert.match(
        markdown,
        new RegExp(
          `^!\\[Marchers behind a banner reading "Homes not evictions"\\]\\(/media/${row.key}-1600x2133\\.jpg\\)$`,
        ),
      );
      const editorPage = new Dom((await editor.get('/admin/statements/new')).html);
      assert.equal(
        attr(editorPage.one('.media-picker button[data-insert-markdown]'), 'data-insert-markdown'),
        markdown,
        'the statement editor offers the image for one-click insertion',
      );
      assert.match(dom.text('.meta', item), /1800 × 2400 pixels/);
      assert.match(dom.text('.meta', item), /media-editor/);
      const thumbnail = dom.one('img', item);
      assert.match(attr(thumbnail, 'src') ?? '', new RegExp(`^/media/${row.key}-480x640\\.webp$`));
      assert.equal((await site.get(attr(thumbnail, 'src') ?? '')).status, 200);
      assert.doesNotMatch(
        page.html,
        /<script>|\sstyle=|\son[a-z]+="/,
        'nothing the CSP would block',
      );
      const report = await html5.validateString(page.html);
      const problems = report.results.flatMap((result) =>
        result.messages.map((message) => `${message.ruleId}: ${message.message}`),
      );
      assert.deepEqual(problems, [], problems.join('\n'));
    });

    test('variants are public, typed, unsniffable and cached for good; nothing else is served', async () => {
      const [row] = await mediaRows();
      assert.ok(row);
      const response = await site.get(`/media/${row.key}-480x640.webp`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/webp');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      const cache = response.headers.get('cache-control') ?? '';
      assert.match(cache, /public/);
      assert.match(cache, /max-age=31536000/);
      assert.match(cache, /immutable/);
      assert.equal((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).width, 480);

      await writeFile(path.join(mediaDir, 'notes.txt'), 'private');
      await writeFile(path.join(mediaDir, `.${row.key}-480x640.jpg.abc.tmp`), 'half-written');
      try {
        for (const url of [
          '/media/',
          '/media/notes.txt',
          `/media/.${row.key}-480x640.jpg.abc.tmp`,
          `/media/${row.key}-480x640.gif`,
          `/media/${row.key}-481x640.webp`,
          '/media/..%2F..%2F..%2Fetc%2Fpasswd',
          '/media/..%5C..%5Cetc%5Cpasswd',
        ]) {
          const refused = await site.get(url);
          assert.ok([403, 404].includes(refused.status), `${url} is not served: ${refused.status}`);
          assert.doesNotMatch(await refused.text(), /private|half-written|root:/);
        }
      } finally {
        await rm(path.join(mediaDir, 'notes.txt'));
        await rm(path.join(mediaDir, `.${row.key}-480x640.jpg.abc.tmp`));
      }
    });

    test('a text file named photo.jpg is refused as not an image (415)', async () => {
      await writesNothing(async () => {
        const answer = await upload(site, editor, {
          file: jpeg(Buffer.from('Minutes of the meeting, not a picture.\n'), 'photo.jpg'),
          alt: 'A photo',
        });
        assert.equal(answer.status, 415);
        assert.match(answer.html, /not an image we can use/);
        assert.match(
          answer.html,
          /name="alt" type="text" value="A photo"/,
          'the description is kept',
        );
      });
    });

    test('SVG and PDF files are refused (415), whatever they are called', async () => {
      const svg = Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
      );
      const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n');
      await writesNothing(async () => {
        for (const file of [
          jpeg(svg, 'logo.jpg'),
          { data: pdf, name: 'a.png', type: 'image/png' },
        ]) {
          const answer = await upload(site, editor, { file, alt: 'Something' });
          assert.equal(answer.status, 415, file.name);
          assert.match(answer.html, /class="field-error" id="file-error"/);
        }
      });
    });

    test('animated GIFs are refused rather than frozen (415)', async () => {
      const frame = (colour: string) =>
        sharp({ create: { width: 20, height: 20, channels: 3, background: colour } })
          .png()
          .toBuffer();
      const animated = await sharp([await frame('#fff'), await frame('#000')], {
        join: { animated: true },
      })
        .gif()
        .toBuffer();
      await writesNothing(async () => {
        const answer = await upload(site, editor, {
          file: { data: animated, name: 'spin.gif', type: 'image/gif' },
          alt: 'Spinning',
        });
        assert.equal(answer.status, 415);
        assert.match(answer.html, /Animated images are not accepted/);
      });
    });

    test('an upload without a description is refused (422) and says why', async () => {
      const photo = await sharp({
        create: { width: 600, height: 400, channels: 3, background: '#246' },
      })
        .jpeg()
        .toBuffer();
      await writesNothing(async () => {
        for (const alt of [undefined, '', '   \n ']) {
          const answer = await upload(site, editor, { file: jpeg(photo), alt });
          assert.equal(answer.status, 422);
          assert.match(answer.html, /Describe the image for people who cannot see it/);
          assert.match(answer.html, /id="field-alt"[^>]*aria-invalid="true"/);
        }
      });
    });

    test('an upload without a file is refused (400)', async () => {
      await writesNothing(async () => {
        const answer = await upload(site, editor, { alt: 'Nothing chosen' });
        assert.equal(answer.status, 400);
        assert.match(answer.html, /Choose an image file to upload/);
        const empty = await upload(site, editor, {
          file: { data: new Uint8Array(0), name: '', type: 'application/octet-stream' },
          alt: 'Nothing chosen',
        });
        assert.equal(empty.status, 400);
      });
    });

    test('a file over 10 MB is refused (413) without being stored', async () => {
      await writesNothing(async () => {
        const big = Buffer.alloc(11 * 1024 * 1024, 0x41);
        const answer = await upload(site, editor, { file: jpeg(big, 'huge.jpg'), alt: 'Huge' });
        assert.equal(answer.status, 413);
        assert.match(answer.html, /larger than 10 MB/);
        assert.match(answer.html, /<form method="post" action="\/admin\/media"/);
      });
    });

    test('absurd dimensions are refused (422) before the image is decoded', async () => {
      await writesNothing(async () => {
        for (const [width, height] of [
          [13_000, 10],
          [8_000, 8_000],
        ] as const) {
          const answer = await upload(site, editor, {
            file: { data: await pngClaiming(width, height), name: 'bomb.png', type: 'image/png' },
            alt: 'Bomb',
          });
          assert.equal(answer.status, 422, `${width} × ${height}`);
          assert.match(answer.html, /12,000 pixels on a side and 50 megapixels/);
        }
      });
    });

    test('signed out, an upload is refused (401) and nothing is written', async () => {
      const stranger = new BackOfficeClient(site.origin);
      await stranger.get('/admin/login');
      const photo = await sharp({
        create: { width: 100, height: 100, channels: 3, background: '#000' },
      })
        .jpeg()
        .toBuffer();
      await writesNothing(async () => {
        const answer = await upload(site, stranger, { file: jpeg(photo), alt: 'Black' });
        assert.equal(answer.status, 401);
        assert.doesNotMatch(answer.html, /media-library/);
      });
      const page = await stranger.get('/admin/media');
      assert.equal(page.status, 303);
      assert.equal(page.headers.get('location'), '/admin/login?next=%2Fadmin%2Fmedia');
    });

    test('an upload without the CSRF token is refused (403) and nothing is written', async () => {
      const photo = await sharp({
        create: { width: 100, height: 100, channels: 3, background: '#000' },
      })
        .jpeg()
        .toBuffer();
      await writesNothing(async () => {
        const missing = await upload(site, editor, { file: jpeg(photo), alt: 'Black', csrf: null });
        assert.equal(missing.status, 403);
        assert.match(missing.html, /expired or came from another site/);
        const forged = await upload(site, editor, {
          file: jpeg(photo),
          alt: 'Black',
          csrf: 'x'.repeat(43),
        });
        assert.equal(forged.status, 403);
      });
    });

    test('when the database refuses the row, the written files are removed again', async () => {
      const db = site.handle.db;
      if (engine === 'sqlite') {
        await sql`create trigger media_refuse before insert on media begin select raise(abort, 'refused by test'); end`.execute(
          db,
        );
      } else {
        await sql`create function media_refuse() returns trigger as $$ begin raise exception 'refused by test'; end $$ language plpgsql`.execute(
          db,
        );
        await sql`create trigger media_refuse before insert on media for each row execute function media_refuse()`.execute(
          db,
        );
      }
      const photo = await sharp({
        create: { width: 1000, height: 700, channels: 3, background: '#642' },
      })
        .jpeg()
        .toBuffer();
      try {
        await writesNothing(async () => {
          const answer = await upload(site, editor, { file: jpeg(photo), alt: 'Brown' });
          assert.equal(answer.status, 500);
          assert.match(answer.html, /was not saved/);
        });
      } finally {
        if (engine === 'sqlite') await sql`drop trigger media_refuse`.execute(db);
        else {
          await sql`drop trigger media_refuse on media`.execute(db);
          await sql`drop function media_refuse()`.execute(db);
        }
      }
    });

    test('a small transparent PNG keeps one variant at its own width, with a PNG fallback', async () => {
      const logo = await sharp({
        create: {
          width: 300,
          height: 200,
          channels: 4,
          background: { r: 0, g: 90, b: 0, alpha: 0.4 },
        },
      })
        .png()
        .toBuffer();
      const answer = await upload(site, editor, {
        file: { data: logo, name: 'logo.png', type: 'image/png' },
        alt: 'Network logo, *green* [draft] <v2> & more_here',
      });
      assert.equal(answer.status, 303);
      const [row] = await mediaRows();
      assert.ok(row);
      assert.equal(row.mime_type, 'image/png');
      const files = (await filesOnDisk()).filter((file) => file.startsWith(row.key));
      assert.deepEqual(files, [`${row.key}-300x200.png`, `${row.key}-300x200.webp`]);
      const fallback = await sharp(path.join(mediaDir, `${row.key}-300x200.png`)).metadata();
      assert.equal(fallback.hasAlpha, true, 'transparency survives in the fallback');

      // The snippet keeps the description literal: Markdown punctuation in it is escaped.
      const library = await editor.get('/admin/media');
      const snippet = new Dom(library.html).text(`#media-${row.id} code`);
      await editor.get('/admin/statements/new');
      const preview = new Dom((await editor.post('/admin/preview', { body: snippet })).html);
      const img = preview.one('picture img');
      assert.equal(attr(img, 'alt'), 'Network logo, *green* [draft] <v2> & more_here');
      assert.equal(attr(img, 'srcset'), `/media/${row.key}-300x200.png 300w`);
      assert.equal(
        attr(preview.one('picture source'), 'srcset'),
        `/media/${row.key}-300x200.webp 300w`,
      );
    });

    test('ordinary Markdown images stay plain and load lazily', async () => {
      await editor.get('/admin/statements/new');
      const preview = await editor.post('/admin/preview', {
        body: '![A chart](https://example.org/chart.png) ![Old](/media/old-photo.jpg)',
      });
      assert.equal(preview.status, 200);
      assert.equal(
        preview.html.trim(),
        '<p><img src="https://example.org/chart.png" alt="A chart" loading="lazy"> ' +
          '<img src="/media/old-photo.jpg" alt="Old" loading="lazy"></p>',
      );
    });

    test('the Markdown from the library, published in a statement, renders a responsive image', async () => {
      const page = await editor.get('/admin/media');
      const [row] = (await mediaRows()).filter((media) => media.mime_type === 'image/jpeg');
      assert.ok(row);
      const markdown = new Dom(page.html).text(`#media-${row.id} code`);

      await editor.get('/admin/statements/new');
      const organisation = await site.handle.db
        .selectFrom('organisations')
        .select('id')
        .orderBy('id')
        .executeTakeFirstOrThrow();
      const created = await editor.post('/admin/statements', {
        title: 'Eviction march in pictures',
        slug: 'eviction-march-in-pictures',
        body: `The march went on for hours.\n\n${markdown}\n\nWe will be back.`,
        summary: '',
        language: 'en',
        date: '2025-03-14T10:30',
        signatory_1: String(organisation.id),
        intent: 'save',
      });
      assert.equal(created.status, 303, created.html);
      const editPath = (created.headers.get('location') ?? '').split('?')[0] ?? '';
      const edit = await editor.get(editPath);
      const version = attr(new Dom(edit.html).one('input[name="version"]'), 'value') ?? '';
      const published = await editor.post(`${editPath}/transition`, {
        transition: 'publish',
        version,
      });
      assert.equal(published.status, 303, published.html);

      const html = await site.html('/statements/eviction-march-in-pictures');
      const dom = new Dom(html);
      const picture = dom.one('.statement-body picture');
      const source = dom.one('source', picture);
      assert.equal(attr(source, 'type'), 'image/webp');
      assert.equal(
        attr(source, 'srcset'),
        `/media/${row.key}-480x640.webp 480w, /media/${row.key}-960x1280.webp 960w, /media/${row.key}-1600x2133.webp 1600w`,
      );
      const img = dom.one('img', picture);
      assert.equal(attr(img, 'src'), `/media/${row.key}-1600x2133.jpg`);
      assert.equal(
        attr(img, 'srcset'),
        `/media/${row.key}-480x640.jpg 480w, /media/${row.key}-960x1280.jpg 960w, /media/${row.key}-1600x2133.jpg 1600w`,
      );
      assert.equal(attr(img, 'sizes'), '(min-width: 50rem) 46rem, 100vw');
      assert.equal(attr(img, 'alt'), 'Marchers behind a banner reading "Homes not evictions"');
      assert.equal(attr(img, 'width'), '1600');
      assert.equal(attr(img, 'height'), '2133');
      assert.equal(attr(img, 'loading'), 'lazy');

      // Every URL the page names exists, so no reader ever gets a broken image.
      const urls = [attr(img, 'src'), attr(img, 'srcset'), attr(source, 'srcset')]
        .join(', ')
        .split(', ')
        .map((candidate) => candidate.split(' ')[0] ?? '');
      for (const url of new Set(urls)) assert.equal((await site.get(url)).status, 200, url);

      const report = await html5.validateString(html);
      const problems = report.results.flatMap((result) =>
        result.messages.map((message) => `${message.ruleId}: ${message.message}`),
      );
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  });
}
