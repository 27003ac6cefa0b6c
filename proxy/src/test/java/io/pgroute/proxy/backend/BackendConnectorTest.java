package io.pgroute.proxy.backend;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import io.pgroute.proxy.error.PgrouteException;
import io.pgroute.proxy.server.Transport;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class BackendConnectorTest {

    @Test
    void cancellingAConnectionWithoutCancelKeyDoesNothingAndKeepsItReleasable() {
        EmbeddedChannel channel = new EmbeddedChannel();
        BackendTarget target = new BackendTarget("app/primary", "127.0.0.1", 5432, "app", "app", "secret",
                BackendTarget.BackendTls.DISABLE, Map.of());
        // the server sent no BackendKeyData (behind another pooler, or a PostgreSQL-compatible server)
        BackendConnection keyless = new BackendConnection(channel, target, 0, new byte[0], Map.of());
        BackendConnector connector = new BackendConnector(Transport.detect(), Duration.ofSeconds(1));

        connector.cancel(channel.eventLoop(), keyless);

        AtomicBoolean released = new AtomicBoolean();
        keyless.afterCancels(() -> released.set(true));
        assertThat(released).as("the pool can take the connection back at once").isTrue();
        assertThat(keyless.cancellable()).isFalse();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    /** A server that accepts the connection and never answers the startup (a stopped postmaster's kernel does). */
    @Test
    void aServerThatNeverAnswersTheStartupFailsTheConnectionAfterTheConnectTimeoutWith08001() throws Exception {
        Transport transport = Transport.detect();
        EventLoopGroup group = transport.newGroup(1, "connector-test");
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            BackendTarget target = new BackendTarget("app/replica1", "127.0.0.1", silent.getLocalPort(), "app", "app",
                    "secret", BackendTarget.BackendTls.DISABLE, Map.of());
            BackendConnector connector = new BackendConnector(transport, Duration.ofMillis(300));

            Future<BackendConnection> connecting = connector.connect(group.next(), target);

            try (Socket accepted = silent.accept()) {
                accepted.setSoTimeout(10_000);
                assertThat(connecting.await(10, TimeUnit.SECONDS)).as("the attempt ends").isTrue();
                assertThat(connecting.isSuccess()).isFalse();
                assertThat(connecting.cause()).isInstanceOf(PgrouteException.class)
                        .hasMessageContaining("did not complete the connection startup");
                assertThat(((PgrouteException) connecting.cause()).sqlState()).isEqualTo("08001");
                InputStream in = accepted.getInputStream();
                in.readNBytes(8);  // the startup message's length and protocol version: it was sent
                while (in.read() >= 0) {
                    // the rest of the startup message, then the end of the stream: pgroute closed the connection
                }
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
