import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';

import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';

import { sessionForm, viewTitle } from '../src/forms';
import { DOMAIN, setTranslator, strfmt, trans } from '../src/i18n';
import { requestsCommandLabel, waitingSummary } from '../src/requests';
import { statusText } from '../src/status';

/** A fake language pack: every msgid comes back upper-cased (placeholders filled after). */
function shoutingTranslator(domains: string[]): ITranslator {
  const shout = (text: string, args: unknown[]) => strfmt(text.toUpperCase(), ...args);
  const bundle = {
    __: (msgid: string, ...args: unknown[]) => shout(msgid, args),
    _n: (one: string, many: string, n: number, ...args: unknown[]) =>
      shout(n === 1 ? one : many, [n, ...args]),
    _p: (_ctx: string, msgid: string, ...args: unknown[]) => shout(msgid, args)
  } as unknown as TranslationBundle;
  return {
    languageCode: 'xx',
    load: (domain: string) => {
      domains.push(domain);
      return bundle;
    }
  };
}

afterEach(() => setTranslator(null));

describe('translations', () => {
  it('fill placeholders as gettext does', () => {
    assert.equal(strfmt('%1 of %2, %1', 'a', 3), 'a of 3, a');
    assert.equal(strfmt('100%% done'), '100% done');
    assert.equal(strfmt('%2 missing', 'x'), '%2 missing');
  });

  it('pick the plural form by count (%1 is the count)', () => {
    assert.equal(trans._n('%1 access request', '%1 access requests', 1), '1 access request');
    assert.equal(trans._n('%1 access request', '%1 access requests', 3), '3 access requests');
    assert.equal(
      waitingSummary({ requests: 2, proposed_supervisors: 1 }),
      '2 access requests and 1 proposed supervisor wait for your answer.'
    );
    assert.equal(
      waitingSummary({ requests: 1, proposed_supervisors: 0 }),
      '1 access request waits for your answer.'
    );
  });

  it("load the kap_notes domain from JupyterLab's translator and use it everywhere", () => {
    const domains: string[] = [];
    setTranslator(shoutingTranslator(domains));
    assert.deepEqual(domains, [DOMAIN]);
    assert.equal(DOMAIN, 'kap_notes');
    assert.equal(requestsCommandLabel(2), 'ACCESS REQUESTS (2)…');
    assert.equal(statusText(null), 'KAP: …'.toUpperCase());
    assert.equal(sessionForm('dosing').title, 'DOSING');
    assert.equal(viewTitle({ kind: 'progress' }), 'PATIENT PROGRESS');
    setTranslator(null);
    assert.equal(viewTitle({ kind: 'progress' }), 'Patient progress');
  });

  it('translate the settings schema (titles, descriptions, menu labels) in the same domain', () => {
    const schemaPath = join(__dirname, '..', '..', 'schema', 'plugin.json');
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(schema['jupyter.lab.internationalization'], { domain: DOMAIN });
  });

  it('leave no user-visible string literal outside trans in any module', () => {
    const src = join(__dirname, '..', '..', 'src');
    // Where a literal would reach people: labels, titles, captions, text, aria-labels,
    // buttons, dialog bodies, notifications and error dialogs.
    const shown = [
      /(textContent|label|title|caption|placeholder|body)\s*[=:]\s*['`"][A-Z]/g,
      /setAttribute\('aria-label',\s*['`"]/g,
      /\bbutton\(\s*['`"]/g,
      /\belement\('\w+',\s*'[^']*',\s*['`"]/g,
      /(Notification\.\w+|showErrorMessage)\(\s*['`"]/g
    ];
    const files = readdirSync(src).filter(f => f.endsWith('.ts'));
    assert.ok(files.length > 20);
    for (const name of files) {
      const text = readFileSync(join(src, name), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '') // comments quote strings too
        .replace(/^\s*\/\/.*$/gm, '');
      for (const pattern of shown) {
        const bare = text.match(pattern);
        assert.equal(bare, null, `${name}: ${String(bare)}`);
      }
    }
  });
});
