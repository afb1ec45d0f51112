// `npm start`: a small app on http://127.0.0.1:8080 — a live echo latency meter and a chat room.
// The server is ferrows (ws-compatible API); the page uses the browser's own WebSocket.
import { readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from '../wrapper.mjs';

const page = readFileSync(new URL('./index.html', import.meta.url));

/** Starts the demo on `port` (0 picks a free one); resolves with the server and its URL. */
export function startDemo({ port = 8080, host = '127.0.0.1' } = {}) {
  const http = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length });
      res.end(page);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  const echo = new WebSocketServer({ noServer: true });
  const chat = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    const target = req.url === '/echo' ? echo : req.url === '/chat' ? chat : null;
    if (!target) return socket.destroy();
    target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
  });
  echo.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  let nextId = 1;
  chat.on('connection', (ws) => {
    const name = `guest-${nextId++}`;
    const broadcast = (msg) => {
      const text = JSON.stringify(msg);
      for (const client of chat.clients) if (client.readyState === client.OPEN) client.send(text);
    };
    ws.send(JSON.stringify({ type: 'welcome', name, online: chat.clients.size }));
    broadcast({ type: 'join', name, online: chat.clients.size });
    ws.on('message', (data) => {
      const text = data.toString().slice(0, 500);
      if (text.trim()) broadcast({ type: 'say', name, text });
    });
    ws.on('close', () => broadcast({ type: 'leave', name, online: chat.clients.size }));
  });
  return new Promise((resolve) => {
    http.listen(port, host, () => {
      const { port: actual } = http.address();
      resolve({
        url: `http://${host}:${actual}/`,
        close: () =>
          new Promise((done) => {
            for (const ws of [...echo.clients, ...chat.clients]) ws.terminate();
            echo.close();
            chat.close();
            http.close(() => done());
          }),
      });
    });
  });
}

// Run directly (`npm start`, `node demo/server.mjs`), also from a path with spaces or through a symlink.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const port = Number(process.env.PORT ?? 8080);
  const { url } = await startDemo({ port });
  console.log(`ferrows demo: ${url} (echo latency meter and chat room; Ctrl-C to stop)`);
}
