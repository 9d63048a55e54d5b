/**
 * Translatable strings: every user-visible string of the front end goes through `trans.__`
 * (or `trans._n` for plurals), as JupyterLab's own plugins do. The plugin hands JupyterLab's
 * ITranslator (or nullTranslator when there is none) to `setTranslator` at activation; until
 * then, and in the node tests, strings come back as written with %1, %2… filled in.
 * Only types are imported here, so pure modules stay loadable outside JupyterLab.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';

/** The gettext domain of kap-notes' strings (language packs ship `kap_notes` catalogues). */
export const DOMAIN = 'kap_notes';

/** gettext's placeholder filling, as JupyterLab's: %1 is the first argument; %% is a percent sign. */
export function strfmt(fmt: string, ...args: unknown[]): string {
  return fmt
    .replace(/%%/g, '%% ')
    .replace(/%(\d+)/g, (match, index: string) => {
      const value = args[Number(index) - 1];
      return value === undefined ? match : String(value);
    })
    .replace(/%% /g, '%');
}

/** The bundle used before JupyterLab hands over its translator: the text as written. */
const untranslated: TranslationBundle = {
  __: (msgid: string, ...args: any[]) => strfmt(msgid, ...args),
  _n: (msgid: string, plural: string, n: number, ...args: any[]) =>
    strfmt(n === 1 ? msgid : plural, n, ...args),
  _p: (_ctx: string, msgid: string, ...args: any[]) => strfmt(msgid, ...args),
  _np: (_ctx: string, msgid: string, plural: string, n: number, ...args: any[]) =>
    strfmt(n === 1 ? msgid : plural, n, ...args),
  gettext: (msgid: string, ...args: any[]) => strfmt(msgid, ...args),
  ngettext: (msgid: string, plural: string, n: number, ...args: any[]) =>
    strfmt(n === 1 ? msgid : plural, n, ...args),
  pgettext: (_ctx: string, msgid: string, ...args: any[]) => strfmt(msgid, ...args),
  npgettext: (_ctx: string, msgid: string, plural: string, n: number, ...args: any[]) =>
    strfmt(n === 1 ? msgid : plural, n, ...args),
  dcnpgettext: (
    _domain: string,
    _ctx: string,
    msgid: string,
    plural: string,
    n: number,
    ...args: any[]
  ) => strfmt(n === 1 ? msgid : plural, n, ...args)
};

let bundle: TranslationBundle = untranslated;

/** Use `translator` (JupyterLab's, or nullTranslator) for every string from now on. */
export function setTranslator(translator: ITranslator | null): void {
  bundle = translator ? translator.load(DOMAIN) : untranslated;
}

/**
 * kap-notes' translation bundle: `trans.__('Lock the KAP Vault')`,
 * `trans._n('%1 request', '%1 requests', n)`. It follows `setTranslator`, so modules can
 * import it once at load time.
 */
export const trans = {
  __: (msgid: string, ...args: unknown[]): string => bundle.__(msgid, ...args),
  _n: (msgid: string, plural: string, n: number, ...args: unknown[]): string =>
    bundle._n(msgid, plural, n, ...args),
  _p: (context: string, msgid: string, ...args: unknown[]): string =>
    bundle._p(context, msgid, ...args)
};
