// The demo shop: a single-page store (product list, product pages, cart, checkout, order
// confirmation) that reports to site `demo` through footfall.js and its e-commerce helpers.
// The cart lives in localStorage; the checkout form is really submitted to the confirmation page.
(function () {
  'use strict';

  var CURRENCY = 'EUR';
  var PRODUCTS = [
    { item_id: 'sku-trail-1', item_name: 'Trail Runner', item_category: 'Shoes', price: '89.90' },
    { item_id: 'sku-city-2', item_name: 'City Sneaker', item_category: 'Shoes', price: '64.50' },
    { item_id: 'sku-sock-3', item_name: 'Merino Socks', item_category: 'Accessories', price: '12.00' },
    { item_id: 'sku-cap-4', item_name: 'Running Cap', item_category: 'Accessories', price: '19.99' },
    { item_id: 'sku-jkt-5', item_name: 'Rain Jacket', item_category: 'Outerwear', price: '129.00' },
    { item_id: 'sku-bag-6', item_name: 'Day Pack', item_category: 'Bags', price: '45.25' }
  ];

  function ff() { return window.footfall; }
  function byId(id) { return PRODUCTS.filter(function (p) { return p.item_id === id; })[0]; }
  function cents(price) { return Math.round(parseFloat(price) * 100); }
  function money(c) { return (c / 100).toFixed(2); }

  function loadCart() {
    try { return JSON.parse(localStorage.getItem('demo_cart')) || []; } catch (e) { return []; }
  }
  function saveCart(cart) {
    localStorage.setItem('demo_cart', JSON.stringify(cart));
    document.getElementById('cart-count').textContent = String(cart.reduce(function (n, l) { return n + l.quantity; }, 0));
  }
  function cartItems(cart) {
    return cart.map(function (l) {
      var p = byId(l.item_id);
      return { item_id: p.item_id, item_name: p.item_name, item_category: p.item_category, price: p.price, quantity: l.quantity };
    });
  }
  function cartValue(cart) {
    return money(cart.reduce(function (sum, l) { return sum + cents(byId(l.item_id).price) * l.quantity; }, 0));
  }

  // A tiny element builder: text only, never HTML.
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'onclick') el.addEventListener('click', attrs[k]);
      else if (k === 'text') el.textContent = attrs[k];
      else el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return el;
  }

  function go(path) {
    history.pushState({}, '', path);
    render();
  }

  function link(path, text, id) {
    var attrs = { href: path, 'data-link': '' };
    if (id) attrs.id = id;
    return h('a', attrs, [text]);
  }

  function productList() {
    return [h('h2', { text: 'Products' }), h('div', { class: 'grid' }, PRODUCTS.map(function (p) {
      return h('div', { class: 'card' }, [
        h('h3', {}, [link('/demo/product/' + p.item_id, p.item_name, 'product-' + p.item_id)]),
        h('p', { class: 'muted', text: p.item_category }),
        h('p', { class: 'price', text: p.price + ' ' + CURRENCY })
      ]);
    }))];
  }

  function productPage(id) {
    var p = byId(id);
    if (!p) return [h('h2', { text: 'No such product' }), link('/demo/', 'Back to the products')];
    if (ff()) ff().ecommerce.viewItem({ currency: CURRENCY, value: p.price, items: [{ item_id: p.item_id, item_name: p.item_name, item_category: p.item_category, price: p.price, quantity: 1 }] });
    var qty = h('input', { id: 'quantity', type: 'number', min: '1', max: '9', value: '1' });
    return [
      h('h2', { text: p.item_name }),
      h('p', { class: 'muted', text: p.item_category }),
      h('p', { class: 'price', text: p.price + ' ' + CURRENCY }),
      h('p', {}, [h('label', {}, ['Quantity ', qty])]),
      h('button', { id: 'add-to-cart', class: 'primary', onclick: function () {
        var n = Math.max(1, Math.min(9, parseInt(qty.value, 10) || 1));
        var cart = loadCart();
        var line = cart.filter(function (l) { return l.item_id === p.item_id; })[0];
        if (line) line.quantity += n; else cart.push({ item_id: p.item_id, quantity: n });
        saveCart(cart);
        if (ff()) ff().ecommerce.addToCart({ currency: CURRENCY, value: money(cents(p.price) * n), items: [{ item_id: p.item_id, item_name: p.item_name, item_category: p.item_category, price: p.price, quantity: n }] });
        go('/demo/cart');
      } }, ['Add to cart']),
      ' ', link('/demo/', 'Keep shopping')
    ];
  }

  function cartPage() {
    var cart = loadCart();
    if (!cart.length) return [h('h2', { text: 'Your cart is empty' }), link('/demo/', 'Browse the products', 'cart-browse')];
    var rows = cart.map(function (l) {
      var p = byId(l.item_id);
      return h('tr', {}, [
        h('td', { text: p.item_name }), h('td', { text: String(l.quantity) }),
        h('td', { text: money(cents(p.price) * l.quantity) + ' ' + CURRENCY }),
        h('td', {}, [h('button', { class: 'remove', 'data-item': p.item_id, onclick: function () {
          saveCart(loadCart().filter(function (x) { return x.item_id !== p.item_id; }));
          if (ff()) ff().ecommerce.removeFromCart({ currency: CURRENCY, value: money(cents(p.price) * l.quantity), items: [{ item_id: p.item_id, item_name: p.item_name, price: p.price, quantity: l.quantity }] });
          render();
        } }, ['Remove'])])
      ]);
    });
    return [
      h('h2', { text: 'Cart' }),
      h('table', {}, [h('tbody', {}, rows)]),
      h('p', { class: 'price', id: 'cart-total', text: 'Total ' + cartValue(cart) + ' ' + CURRENCY }),
      h('button', { id: 'checkout', class: 'primary', onclick: function () {
        if (ff()) ff().ecommerce.beginCheckout({ currency: CURRENCY, value: cartValue(cart), items: cartItems(cart) });
        go('/demo/checkout');
      } }, ['Checkout'])
    ];
  }

  function checkoutPage() {
    var cart = loadCart();
    if (!cart.length) return [h('h2', { text: 'Nothing to check out' }), link('/demo/', 'Browse the products')];
    var order = 'T-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 7);
    var form = h('form', { id: 'checkout-form', name: 'checkout', action: '/demo/confirmation', method: 'get' }, [
      h('input', { type: 'hidden', name: 'order', value: order }),
      h('label', {}, ['Name ', h('input', { id: 'c-name', name: 'name', required: '', autocomplete: 'off' })]),
      h('label', {}, ['Email ', h('input', { id: 'c-email', name: 'email', type: 'email', required: '', autocomplete: 'off' })]),
      h('label', {}, ['Address ', h('input', { id: 'c-address', name: 'address', autocomplete: 'off' })]),
      h('p', { class: 'price', text: 'To pay: ' + cartValue(cart) + ' ' + CURRENCY }),
      h('button', { id: 'place-order', class: 'primary', type: 'submit' }, ['Place order'])
    ]);
    // The purchase is recorded, then the form submits normally: the tracker's last batch
    // leaves by beacon while the browser navigates to the confirmation page.
    form.addEventListener('submit', function () {
      if (ff()) ff().ecommerce.purchase({ transaction_id: order, currency: CURRENCY, value: cartValue(cart), items: cartItems(cart) });
      saveCart([]);
    });
    return [h('h2', { text: 'Checkout' }), form];
  }

  function confirmationPage() {
    var order = new URLSearchParams(location.search).get('order') || '';
    return [
      h('h2', { text: 'Thank you!' }),
      h('p', {}, ['Your order ', h('code', { id: 'order-id', text: order }), ' is confirmed.']),
      link('/demo/', 'Back to the shop')
    ];
  }

  function render() {
    var path = location.pathname.replace(/\/+$/, '');
    var view;
    if (path === '/demo' || path === '') view = productList();
    else if (path.indexOf('/demo/product/') === 0) view = productPage(decodeURIComponent(path.slice(14)));
    else if (path === '/demo/cart') view = cartPage();
    else if (path === '/demo/checkout') view = checkoutPage();
    else if (path === '/demo/confirmation') view = confirmationPage();
    else view = [h('h2', { text: 'Not found' }), link('/demo/', 'Back to the shop')];
    var app = document.getElementById('app');
    app.textContent = '';
    view.forEach(function (node) { app.appendChild(typeof node === 'string' ? document.createTextNode(node) : node); });
  }

  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[data-link]');
    if (a && a.origin === location.origin && !e.metaKey && !e.ctrlKey) {
      e.preventDefault();
      go(a.pathname + a.search);
    }
  });
  window.addEventListener('popstate', render);

  // DOMContentLoaded fires after every deferred script, so footfall exists by then.
  document.addEventListener('DOMContentLoaded', function () {
    saveCart(loadCart());
    var signIn = document.getElementById('sign-in');
    signIn.addEventListener('click', function () {
      if (ff()) ff().identify('demo-customer', { plan: 'demo' });
      document.getElementById('account').textContent = 'Signed in as demo-customer';
    });
    render();
  });
})();
