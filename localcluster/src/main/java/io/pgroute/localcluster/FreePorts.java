package io.pgroute.localcluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Hands out TCP ports on 127.0.0.1 that were free a moment ago and that this instance has not handed out before.
 * Someone else can still take a port before our server binds it, so callers retry a start that failed on
 * "Address already in use".
 */
final class FreePorts {

    private static final int ATTEMPTS = 20;
    private static final int MAX_PORT = 65535;

    private final Set<Integer> handedOut = new HashSet<>();

    synchronized int next() throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int result = bind(0);
            if (handedOut.add(result)) {
                return result;
            }
        }
        throw new IOException("no free port on 127.0.0.1 after " + ATTEMPTS + " attempts");
    }

    /**
     * A free port {@code p} whose companion {@code p + offset} is free too, e.g. a Redis Cluster node's bus port
     * (client port + 10000); both count as handed out.
     */
    synchronized int nextWithCompanion(int offset) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS * 5; attempt++) {
            int result = bind(0);
            int companion = result + offset;
            if (companion > MAX_PORT || handedOut.contains(result) || handedOut.contains(companion)) {
                continue;
            }
            try {
                bind(companion);
            } catch (IOException e) {
                continue;
            }
            handedOut.add(result);
            handedOut.add(companion);
            return result;
        }
        throw new IOException("no free pair of ports " + offset + " apart on 127.0.0.1");
    }

    private static int bind(int port) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port));
            return socket.getLocalPort();
        }
    }
}
