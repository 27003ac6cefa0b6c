package io.pgroute.proxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on 127.0.0.1 for tests: each accepted connection goes to the next of its targets in turn (a
 * round-robin balancer), bytes copied both ways, and each read of what goes to the target is recorded, as it came
 * (what one read from the client side held tells how the client split its sends).
 */
public final class TcpRelay implements AutoCloseable {

    /** Copies what one side sends to the other until it closes; the relay's default copies bytes as they come. */
    public interface Direction {
        void copy(InputStream from, OutputStream to) throws IOException;
    }

    private final ServerSocket server;
    private final int[] targets;
    private final Direction fromTargets;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<String> readsToTargets = new CopyOnWriteArrayList<>();

    public TcpRelay(int... targets) throws IOException {
        this(null, targets);
    }

    /** A relay whose targets' answers go to the clients through {@code fromTargets} (null: as they come). */
    public TcpRelay(Direction fromTargets, int... targets) throws IOException {
        this.targets = targets;
        this.fromTargets = fromTargets;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "tcp-relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int connections() {
        return accepted.get();
    }

    /** The reads from clients that held {@code text}, as ISO-8859-1 strings, in order. */
    public List<String> readsToTargetsHolding(String text) {
        return readsToTargets.stream().filter(each -> each.contains(text)).toList();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket in = server.accept();
                int target = targets[accepted.getAndIncrement() % targets.length];
                Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(in);
                sockets.add(out);
                pump(in, out, this::recordedCopy);
                pump(out, in, fromTargets != null ? fromTargets : TcpRelay::plainCopy);
            } catch (IOException e) {
                return;  // closed
            }
        }
    }

    private void recordedCopy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[1 << 16];
        for (int read; (read = in.read(buffer)) >= 0; ) {
            readsToTargets.add(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
            out.write(buffer, 0, read);
            out.flush();
        }
    }

    private static void plainCopy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[1 << 16];
        for (int read; (read = in.read(buffer)) >= 0; ) {
            out.write(buffer, 0, read);
            out.flush();
        }
    }

    private static void pump(Socket from, Socket to, Direction direction) {
        Thread thread = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                direction.copy(in, out);
            } catch (IOException e) {
                // one side closed: the other follows
            } finally {
                try {
                    to.shutdownOutput();
                } catch (IOException e) {
                    // already closed
                }
            }
        }, "tcp-relay-pump");
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
}
