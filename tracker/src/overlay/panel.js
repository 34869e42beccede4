// The overlay's controls, fixed in a corner of the page: what to show (clicks, movement,
// scrolling), for which devices, a legend, the most clicked elements, messages, and a close
// button. It lives in a closed shadow root, so the page's styles and the panel's never meet.
import { DEVICES, TYPES } from './api.js';
import { rampGradient } from './ramp.js';

const STYLE = `
:host { all: initial; }
.panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; width: 280px;
  font: 13px/1.4 system-ui, sans-serif; color: #222; background: #fff; border-radius: 8px;
  box-shadow: 0 4px 24px rgba(0,0,0,.25); padding: 10px 12px; }
header { display: flex; justify-content: space-between; align-items: center; font-weight: 600; }
button { font: inherit; cursor: pointer; border: 1px solid #bbb; background: #f4f4f4;
  border-radius: 4px; padding: 2px 8px; }
button[aria-pressed=true] { background: #222; color: #fff; border-color: #222; }
.close { border: 0; background: none; font-size: 18px; line-height: 1; padding: 0 4px; }
.row { display: flex; gap: 4px; margin-top: 8px; flex-wrap: wrap; }
.legend { margin-top: 8px; }
.bar { height: 10px; border-radius: 3px; background: ${rampGradient()}; }
.ends { display: flex; justify-content: space-between; font-size: 11px; color: #555; }
.status { margin-top: 8px; color: #555; }
.status.error { color: #b00020; }
table { margin-top: 6px; width: 100%; border-collapse: collapse; font-size: 11px; }
td, th { padding: 1px 2px; text-align: right; }
td:first-child, th:first-child { text-align: left; max-width: 130px; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
`;

const LABELS = { click: 'Clicks', move: 'Movement', scroll: 'Scrolling', '': 'All', mobile: 'Mobile', tablet: 'Tablet', desktop: 'Desktop' };

const element = (tag, attributes = {}, children = []) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
};

// `onChange({type, device})` runs when a switch changes, `onClose()` when closed. Returns the
// host element (to remove) and setters for the state shown.
export const createPanel = ({ type, device }, onChange, onClose) => {
  const host = element('footfall-heatmap-panel');
  const root = host.attachShadow({ mode: 'closed' });
  const state = { type, device };
  const switches = (values, key) =>
    element('div', { class: 'row', role: 'group' }, values.map((value) => {
      const button = element('button', { type: 'button', 'data-value': value }, [LABELS[value]]);
      button.addEventListener('click', () => {
        state[key] = value;
        refresh();
        onChange({ ...state });
      });
      return button;
    }));
  const typeSwitches = switches(TYPES, 'type');
  const deviceSwitches = switches(['', ...DEVICES], 'device');
  const close = element('button', { type: 'button', class: 'close', title: 'Close the heatmap', 'aria-label': 'Close' }, ['×']);
  close.addEventListener('click', onClose);
  const legendEnds = element('div', { class: 'ends' });
  const status = element('div', { class: 'status', role: 'status' });
  const table = element('table');
  root.append(
    element('style', {}, [STYLE]),
    element('div', { class: 'panel' }, [
      element('header', {}, ['footfall heatmap', close]),
      typeSwitches,
      deviceSwitches,
      element('div', { class: 'legend' }, [element('div', { class: 'bar' }), legendEnds]),
      status,
      table,
    ]),
  );
  const refresh = () => {
    for (const [group, key] of [[typeSwitches, 'type'], [deviceSwitches, 'device']])
      for (const button of group.children) button.setAttribute('aria-pressed', button.dataset.value == state[key]);
  };
  refresh();
  return {
    host,
    setLegend: (low, high) => legendEnds.replaceChildren(element('span', {}, [low]), element('span', {}, [high])),
    setStatus: (text, isError) => {
      status.textContent = text;
      status.className = isError ? 'status error' : 'status';
    },
    // The most clicked elements, with their frustration signals.
    setElements: (elements) => {
      const rows = elements.slice(0, 6).map((e) =>
        element('tr', {}, [
          element('td', { title: e.selector }, [e.text || e.selector]),
          ...[e.clicks, e.visitors, e.rage, e.dead, e.error].map((n) => element('td', {}, [String(n ?? 0)])),
        ]),
      );
      table.replaceChildren(
        ...(rows[0]
          ? [element('tr', {}, ['element', 'clicks', 'visitors', 'rage', 'dead', 'error'].map((h) => element('th', {}, [h]))), ...rows]
          : []),
      );
    },
  };
};
