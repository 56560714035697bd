// Benchmark client process: opens N WebSocket clients, subscribes them, and records for every event
// how long after the server recorded it each client received it. Frames are not JSON-parsed (the
// client side must stay cheaper than the server side being measured): `sent_at` is read by search.
import WebSocket from 'ws';

const [url, countText, localAddress] = process.argv.slice(2);
const count = Number(countText);
const now = () => performance.timeOrigin + performance.now();
const latencies = []; // per received event
const lastArrival = new Map(); // event index -> latest arrival latency across this process's clients
let subscribed = 0;
let open = 0;
const sockets = [];

function onMessage(data) {
  const text = data.toString();
  const at = text.indexOf('"sent_at":');
  if (at < 0) {
    if (text.includes('"SUBSCRIBED"')) {
      subscribed += 1;
      if (subscribed === count) process.send({ type: 'subscribed' });
    }
    return;
  }
  const sentAt = parseFloat(text.slice(at + 10));
  const latency = now() - sentAt;
  latencies.push(latency);
  const id = text.slice(text.indexOf('"event_id":"') + 12, text.indexOf('"', text.indexOf('"event_id":"') + 12));
  if ((lastArrival.get(id) ?? 0) < latency) lastArrival.set(id, latency);
}

async function connectAll() {
  const batch = 200;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, () =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(url, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
          ws.on('open', () => {
            open += 1;
            ws.send('{"action":"subscribe_all"}');
            resolve();
          });
          ws.on('message', onMessage);
          ws.on('error', reject);
          sockets.push(ws);
        }),
      ),
    );
  }
}

process.on('message', (message) => {
  if (message.type === 'report') {
    process.send({ type: 'report', latencies, lastArrival: [...lastArrival.entries()], open });
  } else if (message.type === 'stop') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});

connectAll().catch((error) => {
  process.send({ type: 'error', message: String(error) });
  process.exit(1);
});
