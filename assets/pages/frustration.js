// The frustration test page (/tracking/test/frustration/): one element per signal, and the
// other page (…/away) that a quick back returns from. The same HTML serves both paths.
(function () {
  'use strict';
  const away = location.pathname.endsWith('/away');
  document.getElementById('here').hidden = away;
  document.getElementById('there').hidden = !away;
  document.getElementById('change').addEventListener('click', () => {
    const line = document.createElement('li');
    line.textContent = 'A line added at ' + new Date().toLocaleTimeString();
    document.getElementById('lines').appendChild(line);
  });
  document.getElementById('throw').addEventListener('click', () => {
    throw new Error('frustration test: the Break button broke');
  });
  const count = document.getElementById('count');
  document.getElementById('rage').addEventListener('click', () => {
    count.textContent = String(Number(count.textContent) + 1);
  });
})();
