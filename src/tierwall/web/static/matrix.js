// Matrix page: colour the table cells by their share, and draw the namespace heatmap with d3
// on a canvas (500 namespaces are 250,000 cells: too many for SVG elements).
(function () {
  // Table cells: light tints so that the counts stay readable; the canvas uses d3's full scale.
  function tint(share) {
    if (share === null || isNaN(share)) { return "#ffffff"; }
    return "hsl(" + Math.round(120 * share) + ", 65%, 78%)";
  }
  function colour(share) {
    return share === null ? "#ffffff" : d3.interpolateRdYlGn(share);
  }
  document.querySelectorAll("td.cell").forEach(function (td) {
    td.style.background = tint(td.dataset.share === "" ? null : +td.dataset.share);
  });

  var data = document.getElementById("heat-data");
  var box = document.getElementById("heatmap");
  if (!data || !box || typeof d3 === "undefined") { return; }
  var heat = JSON.parse(data.textContent);
  var n = heat.rows.length, m = heat.cols.length;
  var cell = Math.max(2, Math.min(28, Math.floor(900 / Math.max(n, m, 1))));
  var labelled = cell >= 9;
  var margin = labelled ? 130 : 10;
  var width = margin + m * cell + 10, height = margin + n * cell + 10;
  var canvas = d3.select(box).append("canvas").attr("width", width).attr("height", height)
    .attr("id", "heat-canvas").style("cursor", "pointer");
  var ctx = canvas.node().getContext("2d");
  for (var i = 0; i < n; i++) {
    for (var j = 0; j < m; j++) {
      var pairs = heat.pairs[i][j];
      ctx.fillStyle = colour(pairs ? heat.allowed[i][j] / pairs : null);
      ctx.fillRect(margin + j * cell, margin + i * cell, cell - (cell > 4 ? 1 : 0), cell - (cell > 4 ? 1 : 0));
    }
  }
  if (labelled) {
    ctx.fillStyle = "#1d2330"; ctx.font = Math.min(11, cell - 1) + "px sans-serif";
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    heat.rows.forEach(function (r, i) { ctx.fillText(r, margin - 4, margin + i * cell + cell / 2); });
    heat.cols.forEach(function (c, j) {
      ctx.save(); ctx.translate(margin + j * cell + cell / 2, margin - 4); ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "left"; ctx.fillText(c, 0, 0); ctx.restore();
    });
  }
  var tip = d3.select(box).append("div").attr("class", "legend").attr("id", "heat-tip").text(" ");
  function at(event) {
    var p = d3.pointer(event, canvas.node());
    var j = Math.floor((p[0] - margin) / cell), i = Math.floor((p[1] - margin) / cell);
    return (i >= 0 && i < n && j >= 0 && j < m) ? [i, j] : null;
  }
  canvas.on("mousemove", function (event) {
    var c = at(event);
    tip.text(c ? heat.rows[c[0]] + " → " + heat.cols[c[1]] + ": " + heat.allowed[c[0]][c[1]] + " of " +
      heat.pairs[c[0]][c[1]] + " pairs allowed on " + heat.port : " ");
  });
  canvas.on("click", function (event) {
    var c = at(event);
    if (!c) { return; }
    window.location.href = "/matrix?from=" + encodeURIComponent(heat.rows[c[0]]) + "&to=" +
      encodeURIComponent(heat.cols[c[1]]) + "&port=" + encodeURIComponent(heat.port);
  });
  window.tierwallHeat = {cell: cell, margin: margin, rows: heat.rows, cols: heat.cols};  // for tests
})();
