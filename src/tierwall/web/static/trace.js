// Draw the traceflow graph the server built (render/trace_graph.py) with cytoscape.js.
// Positions come from the server (preset layout), so the browser and `trace -o svg` agree.
(function () {
  var data = document.getElementById("graph-data");
  var box = document.getElementById("graph");
  if (!data || !box || typeof cytoscape === "undefined") { return; }
  var elements = JSON.parse(data.textContent);
  var rows = 1 + Math.max.apply(null, elements.filter(function (e) { return e.group === "nodes"; })
    .map(function (e) { return e.position.y; })) / 120;
  box.style.height = (150 + rows * 120) + "px";  // one band per Service endpoint
  var cy = cytoscape({
    maxZoom: 1.4,
    container: box,
    elements: elements,
    layout: {name: "preset", padding: 30},
    wheelSensitivity: 0.2,
    style: [
      {selector: "node", style: {"shape": "round-rectangle", "label": "data(label)", "text-wrap": "wrap",
        "text-max-width": 185, "font-size": 10, "text-valign": "center", "width": 195, "height": 72,
        "background-color": "#ffffff", "border-width": 1, "border-color": "#8a93a6"}},
      {selector: "node.source", style: {"background-color": "#dde8ff"}},
      {selector: "node.service", style: {"background-color": "#efe3ff"}},
      {selector: "node.destination", style: {"background-color": "#dcf5e3"}},
      {selector: "node.side", style: {"border-style": "dashed"}},
      {selector: "node.drop", style: {"shape": "octagon", "background-color": "#fbd5d3", "border-color": "#c62828"}},
      {selector: "node.decider", style: {"background-color": "#fff3a3", "border-width": 4, "border-color": "#b08800",
        "font-weight": "bold"}},
      {selector: "edge", style: {"curve-style": "bezier", "target-arrow-shape": "triangle", "label": "data(label)",
        "font-size": 9, "text-wrap": "wrap", "text-max-width": 78, "text-margin-y": -14, "text-background-color": "#ffffff",
        "text-background-opacity": 0.8, "width": 1.5, "line-color": "#8a93a6", "target-arrow-color": "#8a93a6"}},
      {selector: "edge.drop", style: {"line-color": "#c62828", "target-arrow-color": "#c62828", "color": "#c62828"}}
    ]
  });
  // A tapped node's rules (every rule looked at, ✔ the one that matched) under the graph.
  var panel = document.getElementById("node-detail");
  cy.on("tap", "node", function (evt) {
    var d = evt.target.data();
    var lines = [d.label.replace(/\n/g, " · ")].concat(d.detail || [], d.origin ? ["at " + d.origin] : []);
    panel.textContent = lines.join("\n");
  });
  window.tierwallGraph = cy;  // for tests and the console
})();
