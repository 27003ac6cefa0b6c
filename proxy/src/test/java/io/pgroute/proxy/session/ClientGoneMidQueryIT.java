package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Query;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.awaitility.Awaitility.await;

/**
 * A client that goes away while its statement runs has it cancelled on the server: PostgreSQL itself would notice the
 * closed connection only when the statement is done and writes its answer, so a long query went on for nothing
 * (the pattern of an application that times out and retries, piling up abandoned queries).
 */
class ClientGoneMidQueryIT {

    @Test
    void theStatementOfAClientThatWentAwayIsCancelled() throws Exception {
        String marker = "gone-mid-query-" + System.nanoTime();
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            client.send(new Query("/* pgroute: primary */ SELECT pg_sleep(60) /* " + marker + " */"));
            await("the statement runs").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> ProxyFixture.get().primaryBackendsWith(marker, true) == 1);
        }
        await("the statement is cancelled").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> ProxyFixture.get().primaryBackendsWith(marker, true) == 0);
    }
}
