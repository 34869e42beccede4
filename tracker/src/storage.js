// What the tracker keeps in localStorage (ids, the unsent outbox, the opt-out), under "ff_"
// keys. Cookieless mode and Global Privacy Control mean nothing is stored except the opt-out
// itself, which callers write with `always`.
import { config } from './config.js';

export const storageOff = () =>
  config.cookieless || (config.gpc != 0 && navigator.globalPrivacyControl);

export const load = (key, always) => {
  if (always || !storageOff()) {
    try {
      return JSON.parse(localStorage['ff_' + key]);
    } catch {
      // Missing, unparsable or blocked storage all mean "nothing stored".
    }
  }
};

// A falsy value removes the key.
export const save = (key, value, always) => {
  if (always || !storageOff()) {
    try {
      value
        ? (localStorage['ff_' + key] = JSON.stringify(value))
        : localStorage.removeItem('ff_' + key);
    } catch {
      // Full or blocked storage: the tracker keeps working from memory.
    }
  }
};
