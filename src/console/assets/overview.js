// Draws the overview's charts with Chart.js from the page's JSON block (the tables below hold the same numbers).
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var source = document.getElementById('overview-data');
    if (!source || typeof Chart === 'undefined') return;
    var data = JSON.parse(source.textContent);
    var common = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    };
    function bar(id, labels, values, color) {
      var canvas = document.getElementById(id);
      if (!canvas) return;
      new Chart(canvas, {
        type: 'bar',
        data: { labels: labels, datasets: [{ data: values, backgroundColor: color }] },
        options: common,
      });
    }
    bar(
      'funnel-chart',
      data.steps.map(function (s) {
        return s.label;
      }),
      data.steps.map(function (s) {
        return s.count;
      }),
      ['#3b6fb6', '#6c8fc7', '#2e8b57', '#b8860b', '#a33'],
    );
    bar(
      'tta-chart',
      data.timeToAccept.buckets.map(function (b) {
        return b.label;
      }),
      data.timeToAccept.buckets.map(function (b) {
        return b.count;
      }),
      '#2e8b57',
    );
    bar(
      'weeks-chart',
      data.startedPerWeek.map(function (w) {
        return w.week;
      }),
      data.startedPerWeek.map(function (w) {
        return w.count;
      }),
      '#3b6fb6',
    );
  });
})();
