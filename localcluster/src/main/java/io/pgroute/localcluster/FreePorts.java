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

    private final Set<Integer> handedOut = new HashSet<>();

    synchronized int next() throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int result;
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
                result = socket.getLocalPort();
            }
            if (handedOut.add(result)) {
                return result;
            }
        }
        throw new IOException("no free port on 127.0.0.1 after " + ATTEMPTS + " attempts");
    }
}
