// Reload the page when the server built a new model or its load errors changed (input files edited),
// or when a view this page waits for (data-waiting-for) is ready.
(function () {
  var seen = null;
  var waiting = document.querySelector("[data-waiting-for]");
  function poll() {
    fetch("/status", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (waiting && s.ready.indexOf(waiting.dataset.waitingFor) >= 0) { window.location.reload(); return; }
      var key = JSON.stringify([s.generation, s.errors]);
      if (seen !== null && key !== seen) { window.location.reload(); return; }
      seen = key;
    }).catch(function () {}).finally(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
