// Reload the page when the server built a new model or its load errors changed (input files edited).
(function () {
  var seen = null;
  function poll() {
    fetch("/status", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      var key = JSON.stringify(s);
      if (seen !== null && key !== seen) { window.location.reload(); return; }
      seen = key;
    }).catch(function () {}).finally(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
