package io.pgroute.proxy.testing;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on 127.0.0.1 in front of one PostgreSQL server that drops the BackendKeyData ('K') from the server's
 * answers, as a server behind another pooler or a PostgreSQL-compatible server may do: its clients get no cancel
 * key. Everything else is copied as it came; a server that accepts TLS ('S') is relayed untouched from then on.
 */
public final class KeylessRelay implements AutoCloseable {

    private static final int BACKEND_KEY_DATA = 'K';

    private final ServerSocket server;
    private final int target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public KeylessRelay(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "keyless-relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket in = server.accept();
                Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(in);
                sockets.add(out);
                start(() -> copy(in.getInputStream(), out), out);
                start(() -> filter(new DataInputStream(out.getInputStream()), in.getOutputStream()), in);
            } catch (IOException e) {
                return;  // closed
            }
        }
    }

    private static void copy(InputStream from, Socket to) throws IOException {
        OutputStream out = to.getOutputStream();
        byte[] buffer = new byte[1 << 16];
        for (int read; (read = from.read(buffer)) >= 0; ) {
            out.write(buffer, 0, read);
            out.flush();
        }
    }

    /**
     * Server to client, message by message. Before the first typed message the server may answer SSLRequest or
     * GSSENCRequest with one byte: 'N' (go on in plaintext) or 'S'/'G' (encryption follows: copied raw).
     */
    private static void filter(DataInputStream from, OutputStream raw) throws IOException {
        BufferedOutputStream to = new BufferedOutputStream(raw, 1 << 16);
        boolean started = false;
        while (true) {
            int type = from.read();
            if (type < 0) {
                return;
            }
            if (!started && type == 'N') {
                to.write(type);
                to.flush();
                continue;
            }
            if (!started && (type == 'S' || type == 'G')) {
                to.write(type);
                to.flush();
                from.transferTo(raw);
                return;
            }
            started = true;
            int length = from.readInt();
            if (length < 4) {
                throw new EOFException("bad length " + length);
            }
            byte[] body = from.readNBytes(length - 4);
            if (type != BACKEND_KEY_DATA) {
                to.write(type);
                to.write(length >>> 24);
                to.write(length >>> 16);
                to.write(length >>> 8);
                to.write(length);
                to.write(body);
            }
            if (from.available() == 0) {
                to.flush();
            }
        }
    }

    private static void start(Pump pump, Socket to) {
        Thread thread = new Thread(() -> {
            try {
                pump.run();
            } catch (IOException e) {
                // one side closed: the other follows
            } finally {
                try {
                    to.shutdownOutput();
                } catch (IOException e) {
                    // already closed
                }
            }
        }, "keyless-relay-pump");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket each : sockets) {
            each.close();
        }
    }

    private interface Pump {
        void run() throws IOException;
    }
}
