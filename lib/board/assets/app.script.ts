/** Entry script of the page: wires the panels together (`assets/app.js`). @internal */
export const APP_JS = String.raw`
import { startBuses } from './buses.js';
import { setTraceHandler } from './detail.js';
import { openDlq } from './dlq.js';
import { h } from './dom.js';
import { initStream, setStreamBus } from './stream.js';
import { initTrace, showTrace } from './trace.js';

function fillSelect(id, names) {
  const select = document.getElementById(id);
  const previous = select.value;
  select.replaceChildren(...names.map((name) => h('option', { value: name }, name)));
  if (names.includes(previous)) select.value = previous;
  return select.value;
}

function busesChanged(names) {
  const streamBus = document.getElementById('stream-bus').value;
  const selected = fillSelect('stream-bus', names);
  fillSelect('trace-bus', names);
  if (selected !== streamBus) setStreamBus(selected);
}

setTraceHandler((bus, id) => {
  document.getElementById('trace-bus').value = bus;
  showTrace(bus, id);
});
initStream();
initTrace();
startBuses(openDlq, busesChanged);
document.body.dataset.ready = 'true';
`;
