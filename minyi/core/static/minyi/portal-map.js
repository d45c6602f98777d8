// Optional map pin on the citizen portal: a tap sets the hidden lat/lng fields.
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el || !window.L) return;
  const center = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
  const map = window.L.map(el).setView(center, 15);
  window.L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
  let pin = null;
  map.on("click", (event) => {
    const { lat, lng } = event.latlng;
    if (pin) pin.setLatLng(event.latlng); else pin = window.L.marker(event.latlng).addTo(map);
    document.getElementById("id_lat").value = lat.toFixed(6);
    document.getElementById("id_lng").value = lng.toFixed(6);
  });
})();
