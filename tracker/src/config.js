// Settings, read once at load and changed later by footfall.config(): the defaults below, then
// the script tag's data-* attributes, then window.footfallConfig (the only way to install
// onEvent before the first pageview). The keys are userBehaviour.js's, so a site switching
// over keeps its configuration (docs/tracker.md, "Options").

// Short local names for globals the tracker reads all over (a minifier shortens local names,
// never global ones). Date.now needs no `this`.
export const doc = document;
export const clock = Date.now;

// The tag that loaded the tracker; `{}` when it cannot be found, so every lookup is safe.
export const script = doc.currentScript || doc.querySelector('script[data-site]') || {};

export const config = { processTime: 15, mouseMovementInterval: 1 };

// Capture switches are on unless turned off with `false` or `0` (`!=` treats both alike).
export const enabled = (feature) => config[feature] != 0;

// An attribute's text as a value: empty or "true" is true, "false" is false, numbers are
// numbers, anything else stays a string.
export const attributeValue = (text) =>
  /^(|true)$/.test(text) || (text != 'false' && (isNaN(text) ? text : +text));

export const readConfig = () => {
  for (const key in script.dataset) config[key] = attributeValue(script.dataset[key]);
  Object.assign(config, window.footfallConfig);
};
