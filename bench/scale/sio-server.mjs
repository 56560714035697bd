// Socket.IO 4.8 under the same load, for `npm run bench:scale`: a node:cluster primary
// (setupPrimary of @socket.io/cluster-adapter relays broadcasts between workers) and N workers
// sharing one loopback port; WebSocket transport only (no long-polling, so no sticky sessions).
// The parent (bench/scale/run.mjs) sends {type:'emit', payloads:[json…]} to the primary; worker 1
// stamps the time and io.emit()s each payload in one tick; the cluster adapter carries them to the
// other workers. Replies {type:'emitted', start_ms} (the "commit" time: just before the first emit).
import cluster from 'node:cluster';
import { createServer } from 'node:http';

const workers = Number(process.argv[2] ?? 1);
// Engine.IO heartbeat, the same interval as ours (argv[3], seconds; Socket.IO's default is 25 s).
const heartbeatMs = Number(process.argv[3] ?? 25) * 1000;

if (cluster.isPrimary) {
  const { setupPrimary } = await import('@socket.io/cluster-adapter');
  setupPrimary();
  const forked = [];
  let listening = 0;
  for (let i = 0; i < workers; i += 1) {
    const worker = cluster.fork({ SIO_WORKER_INDEX: String(i) });
    forked.push(worker);
    worker.on('message', (message) => {
      if (message?.type === 'listening' && ++listening === workers) process.send({ type: 'ready', port: message.port, pids: forked.map((w) => w.process.pid) });
      if (message?.type === 'emitted' || message?.type === 'count') process.send(message);
    });
  }
  process.on('message', (message) => {
    if (message.type === 'emit') forked[0].send(message);
    if (message.type === 'quit') {
      for (const worker of forked) worker.process.kill('SIGKILL');
      process.exit(0);
    }
  });
  process.on('disconnect', () => {
    for (const worker of forked) worker.process.kill('SIGKILL');
    process.exit(0);
  });
} else {
  const { Server } = await import('socket.io');
  const { createAdapter } = await import('@socket.io/cluster-adapter');
  const http = createServer();
  const io = new Server(http, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    adapter: createAdapter(),
    pingInterval: heartbeatMs,
    pingTimeout: heartbeatMs,
  });
  io.on('connection', () => {});
  process.on('message', (message) => {
    if (message?.type !== 'emit') return;
    const startMs = performance.timeOrigin + performance.now();
    for (const payload of message.payloads) io.emit('goal', JSON.parse(payload));
    process.send({ type: 'emitted', start_ms: startMs });
  });
  // Port 0 in a cluster worker: the primary picks one port for all workers.
  http.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: http.address().port }));
}
