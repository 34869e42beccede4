// window.footfall: what a site calls (docs/tracker.md, "JavaScript API"). Every method is
// guarded: none of them throws into the page.
import { config, enabled } from './config.js';
import { guard } from './guard.js';
import { clean, plainProps } from './describe.js';
import { forgetIds, recheckSession, session, setUser, visitorId } from './identity.js';
import { flush, pageview } from './page.js';
import { closeAll, emit, optIn, optOut } from './queue.js';

const track = (name, props) =>
  (name = clean(name)) && emit('custom', { name, props: plainProps(props) });

// GA4's e-commerce events; each helper takes one item or a whole event with `items`.
const ECOMMERCE_EVENTS = 'view_item add_to_cart remove_from_cart begin_checkout purchase refund';

const ecommerceEvent = (type) => (input) => {
  const event = input?.items ? input : { currency: input?.currency, items: [input || {}] };
  emit(type, {
    ...event,
    items: event.items.map((item) => ({
      ...item,
      item_id: clean(item.item_id ?? item.item_name, 256),
      quantity: +item.quantity || 1,
    })),
    transaction_id: clean(event.transaction_id),
  });
};

export const installApi = () => {
  const api = (window.footfall = {
    config: (options) => {
      recheckSession();
      return Object.assign(config, options);
    },
    track,
    pageview,
    flush,
    identify: (id, traits) => {
      if ((id = clean(id, 256))) {
        setUser(id);
        emit('identify', { user_id: id, traits: plainProps(traits) });
      }
    },
    // Sign-out: what was queued leaves under the old ids.
    reset: () => {
      closeAll();
      forgetIds();
    },
    optOut,
    optIn,
    ids: () => ({ visitor_id: visitorId || null, session_id: session[0] || null }),
    // Capturing on window: events dispatched on any element, bubbling or not, and on window.
    // Not listen(): it would split a name with spaces.
    registerCustomEvent: (name, callback) =>
      addEventListener(
        name,
        guard((event) => {
          enabled('customEventRegistration') && track(name, event.detail);
          callback?.(event);
        }),
        { passive: true, capture: true },
      ),
    ecommerce: {},
  });
  for (const key in api) if (api[key].call) api[key] = guard(api[key]);
  for (const type of ECOMMERCE_EVENTS.split(' '))
    api.ecommerce[type.replace(/_./g, (c) => c[1].toUpperCase())] = guard(ecommerceEvent(type));
};
