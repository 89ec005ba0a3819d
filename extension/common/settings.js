// The user's settings: one flat record in extension storage (storage.local), with a `version` so a
// later release can migrate what an earlier one stored. Used by the background (which migrates on
// start), the options page and the popup; the content script reads the same keys with the same
// defaults (it cannot import modules). Nothing here is ever sent anywhere.
//
// Keys:
//   version       SETTINGS_VERSION
//   region        'UK' | 'US' | … | 'OTHER', or null: follow the browser's language
//   under18       true: report links go to the under-18 services first, adult-only ones are hidden
//   sensitivity   null (the rule policy's default) or 'low' | 'medium' | 'high': warn from this level
//   off           site adapter ids ('whatsapp') and host names ('chat.example.org') paused by the user
//   muted         conversation ids where the user said "Not a threat"
//   dismissed     message keys of warnings the user dismissed (the newest 300)
//   customPacks   [{name, text, added}] rule packs the engine accepted (a broken one is never stored)

export const SETTINGS_VERSION = 1;
export const LEVELS = ['low', 'medium', 'high'];
const MAX_DISMISSED = 300;

export function defaults() {
  return { version: SETTINGS_VERSION, region: null, under18: false, sensitivity: null, off: [], muted: [], dismissed: [], customPacks: [] };
}

const strings = (v) => (Array.isArray(v) ? [...new Set(v.filter((x) => typeof x === 'string' && x))] : []);

// Turns whatever is stored (any earlier version, or damaged data) into the current shape.
// Returns { settings, changed }: `changed` says the stored record must be rewritten.
export function migrate(stored) {
  const s = stored && typeof stored === 'object' ? { ...stored } : {};
  const from = Number.isInteger(s.version) ? s.version : 0;
  if (from > SETTINGS_VERSION) return { settings: { ...defaults(), ...s }, changed: false }; // a newer release wrote it: leave it
  const out = defaults();
  // Version 0 (0.1.0, before the options page) stored only region, muted and dismissed.
  if (typeof s.region === 'string' && /^[A-Z]{2,5}$/.test(s.region)) out.region = s.region;
  out.muted = strings(s.muted);
  out.dismissed = strings(s.dismissed).slice(-MAX_DISMISSED);
  if (from >= 1) {
    out.under18 = s.under18 === true;
    out.sensitivity = LEVELS.includes(s.sensitivity) ? s.sensitivity : null;
    out.off = strings(s.off);
    out.customPacks = Array.isArray(s.customPacks)
      ? s.customPacks.filter((p) => p && typeof p.name === 'string' && typeof p.text === 'string').map((p) => ({ name: p.name, text: p.text, added: Number(p.added) || 0 }))
      : [];
  }
  const changed = JSON.stringify(Object.fromEntries(Object.keys(out).map((k) => [k, s[k]]))) !== JSON.stringify(out);
  return { settings: out, changed };
}

export async function loadSettings(api) {
  const stored = await api.storage.local.get(null);
  const { settings, changed } = migrate(stored);
  if (changed) await api.storage.local.set(settings);
  return settings;
}

// The region the browser's languages point at: a region's own locale list first (fr-CA → CA,
// ga → IE), then the country part (en-GB → UK); a bare language ("en") falls through to the next.
export function regionFromLanguages(languages, regions) {
  for (const lang of languages || []) {
    const low = String(lang).toLowerCase();
    for (const [code, r] of Object.entries(regions)) {
      if ((r.locales || []).some((l) => l.toLowerCase() === low)) return code;
    }
    const cc = low.split('-')[1]?.toUpperCase();
    if (cc === 'GB') return 'UK';
    if (cc && regions[cc]) return cc;
    if (cc) return 'OTHER';
  }
  return 'OTHER';
}

// The origins the user granted from the popup ("Protect this site"): granted https origins that
// are not among the manifest's own content-script sites.
export function grantedOrigins(manifest, origins) {
  const fixed = new Set((manifest.content_scripts || []).flatMap((c) => c.matches || []));
  return (origins || []).filter((o) => !fixed.has(o) && /^https:\/\/[^*/]+\/\*$/.test(o));
}

// The key a site is paused under: its adapter id when it has one, else its host name.
export function siteKey(sites, hostname) {
  const ad = sites.find((s) => s.id !== 'generic' && s.hosts.includes(hostname));
  return ad ? ad.id : hostname;
}
