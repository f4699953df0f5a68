// The Territoire map, drawn in the page itself (see ui/leaflet_map.py and ptce_geo/map_script.py).
// Mounted once per key: the map's script runs once; each update only replaces the feature groups whose script changed
// (and those after them, so that they stay in the same order). A click on an EPCI and every finished drawing, edit or
// deletion send the map's value at once: {count, clicked (the EPCI's code, or null), drawings (GeoJSON features)}.
const files = (window.__ptceFiles = window.__ptceFiles || {});

function load(url, css) {
  if (!files[url]) {
    const early = (window.__ptceFetched || {})[url] || Promise.resolve();  // downloading already: ui/map_files.py
    files[url] = early.then(() => new Promise((resolve, reject) => {
      const el = document.createElement(css ? "link" : "script");
      if (css) { el.rel = "stylesheet"; el.href = url; } else { el.src = url; el.async = false; }
      el.onload = resolve;
      el.onerror = () => { delete files[url]; reject(new Error("Fichier de carte non chargé : " + url)); };
      document.head.appendChild(el);
    }));
  }
  return files[url];
}

function mount(parentElement, data, setStateValue) {
  const state = { id: data.id, groups: [], scripts: [], count: 0, pending: data.groups, map: null };
  const div = document.createElement("div");
  div.className = "ptce-map";
  div.style.height = data.height + "px";
  parentElement.appendChild(div);
  data.css.forEach((url) => load(url, true).catch((e) => console.error(e)));
  state.ready = data.js.reduce((done, url) => done.then(() => load(url)), Promise.resolve()).then(() => {
    const previous = document.getElementById(data.name);  // a map being replaced keeps its element, not its id
    if (previous) { previous.removeAttribute("id"); }
    div.id = data.name;
    const made = new Function(data.base)();
    const map = (state.map = made.map);
    map.ptceDraw = made.draw;
    div.ptceMap = window.ptceMap = map;
    const send = (clicked) => {
      state.count += 1;
      setStateValue("event", { count: state.count, clicked, drawings: made.drawn ? made.drawn.toGeoJSON().features : [] });
    };
    if (map.ptceEpci) {
      map.ptceEpci.on("click", (e) => { const f = e.layer && e.layer.feature; if (f) { send(f.properties.c); } });
    }
    map.on("draw:created draw:edited draw:deleted", () => setTimeout(() => send(null), 0));  // after folium's handler
    if (data.painted) {  // a new session's first map (ui/first_map.py): the server waits for it to be drawn
      const said = () => fetch(data.painted, { method: "POST", keepalive: true }).catch(() => {});
      map.once("ptce:epci-loaded", () => requestAnimationFrame(() => setTimeout(said, 0)));
    }
  });
  return state;
}

function update(state, name) {
  const groups = state.pending;
  let i = 0;
  while (i < groups.length && i < state.scripts.length && groups[i][1] === state.scripts[i]) { i += 1; }
  state.groups.splice(i).forEach((layer) => state.map.removeLayer(layer));
  state.scripts.splice(i);
  groups.slice(i).forEach(([variable, script]) => {
    state.groups.push(new Function(name, script + "\nreturn " + variable + ";")(state.map));
    state.scripts.push(script);
  });
}

export default function ({ parentElement, data: payload, setStateValue }) {
  const data = JSON.parse(new TextDecoder().decode(payload));  // sent as JSON bytes (ui/leaflet_map.py)
  let state = parentElement.__ptce;
  if (!state || state.id !== data.id) {
    if (state && state.map) { state.map.remove(); }
    parentElement.replaceChildren();
    state = parentElement.__ptce = mount(parentElement, data, setStateValue);
  }
  state.pending = data.groups;
  state.ready.then(() => update(state, data.name)).catch((e) => console.error(e));
  return () => setTimeout(() => {  // unmounted (not merely updated): the map goes with its element
    if (!parentElement.isConnected && state.map) {
      if (window.ptceMap === state.map) { delete window.ptceMap; }
      state.map.remove();
    }
  }, 0);
}
