package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client's extended-protocol request that arrives in one read reaches the server in one send, also when the
 * connection is leased at its Bind (pgroute without replicas routes a unit before its Sync): a TCP relay between
 * pgroute and the primary records what each of its reads from pgroute holds.
 */
class ServerBurstIT {

    private static final String MARKER = "SELECT 7 AS server_burst_marker";

    @Test
    void aRequestLeasedForBeforeItsSyncGoesToTheServerInOneSend() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (RecordingRelay relay = new RecordingRelay(fixture.cluster().primary().port())) {
            String yaml = "listen: { host: 127.0.0.1, port: 0 }\n"
                    + "users:\n  trusted: { auth: trust }\n"
                    + "databases:\n  app:\n"
                    + "    primary: { host: 127.0.0.1, port: " + relay.port() + " }\n"
                    + "    dbname: app\n    user: app\n    password: app\n"
                    + "pool:\n  size: 1\n";
            try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(yaml, "server-burst.yaml",
                    System::getenv), 1).start();
                 WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
                for (int round = 0; round < 4; round++) {
                    client.send(new Parse("", MARKER, new int[0]),
                            new Bind("", "", new short[0], new byte[0][], new short[0]), Describe.portal(""),
                            new Execute("", 0), Sync.INSTANCE);
                    assertThat(WireClient.types(client.readUntilReady())).isEqualTo("12TDCZ");
                }
            }
            List<String> requests = relay.readsHolding(MARKER);
            assertThat(requests).hasSize(4);
            for (String each : requests.subList(1, 4)) {  // the first lease waited for a new connection
                assertThat(each).as("Parse to Sync in one read").startsWith("P").endsWith("S\0\0\0\4");
            }
        }
    }

    /** Relays 127.0.0.1 connections to a server, recording each read of what goes to the server. */
    private static final class RecordingRelay implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final int target;
        private final List<String> toServer = new CopyOnWriteArrayList<>();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        RecordingRelay(int target) throws IOException {
            this.target = target;
            Thread acceptor = new Thread(this::accept, "recording-relay");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        /** The reads from pgroute that hold {@code text}, as ISO-8859-1 strings. */
        List<String> readsHolding(String text) {
            List<String> result = new ArrayList<>();
            for (String each : toServer) {
                if (each.contains(text)) {
                    result.add(each);
                }
            }
            return result;
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                    sockets.add(client);
                    sockets.add(server);
                    copy(client.getInputStream(), server.getOutputStream(), true);
                    copy(server.getInputStream(), client.getOutputStream(), false);
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void copy(InputStream from, OutputStream to, boolean record) {
            Thread copier = new Thread(() -> {
                byte[] buffer = new byte[1 << 16];
                try {
                    for (int read; (read = from.read(buffer)) >= 0; ) {
                        if (record) {
                            toServer.add(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
                        }
                        to.write(buffer, 0, read);
                        to.flush();
                    }
                } catch (IOException ignored) {
                    // a side closed
                } finally {
                    try {
                        to.close();
                    } catch (IOException ignored) {
                        // already closed
                    }
                }
            }, "recording-relay-copy");
            copier.setDaemon(true);
            copier.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket each : sockets) {
                each.close();
            }
        }
    }
}
