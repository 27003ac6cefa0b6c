package io.pgroute.proxy.backend;

import io.netty.channel.embedded.EmbeddedChannel;
import io.pgroute.proxy.server.Transport;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
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
}
