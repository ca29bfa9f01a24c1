// Shows every <time data-local> in the viewer's own time zone, naming the zone; runs again after live refreshes.
(function () {
  'use strict';
  // dateStyle cannot be combined with timeZoneName, so the fields are spelled out.
  var format = new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  function localize(root) {
    var times = root.querySelectorAll('time[data-local]');
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var at = new Date(el.getAttribute('datetime'));
      if (isNaN(at.getTime())) continue;
      el.textContent = format.format(at);
      el.title = at.toISOString() + ' (' + zone + ')';
    }
    var named = document.getElementById('viewer-zone');
    if (named) named.textContent = zone;
  }

  document.addEventListener('DOMContentLoaded', function () {
    localize(document);
  });
  document.addEventListener('htmx:afterSettle', function () {
    localize(document);
  });

  // Copy buttons name the field they copy; delegated, so they keep working after a live refresh.
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button[data-copy]');
    if (!button) return;
    var field = document.getElementById(button.getAttribute('data-copy'));
    if (!field) return;
    navigator.clipboard.writeText(field.value).then(
      function () {
        button.textContent = 'Copied';
      },
      function () {
        field.select();
        button.textContent = 'Press Ctrl+C to copy';
      },
    );
  });
})();
