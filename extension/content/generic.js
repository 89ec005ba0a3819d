// Runs before the content script on a site the user protected from the popup (the optional host
// permission they granted): tells content/main.js to use the generic adapter on this host.
globalThis.EG_GENERIC = true;
