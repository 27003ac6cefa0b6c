package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Query;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What pgroute's statement analysis costs is paid off the event loops: a statement JSqlParser takes long on (or gives
 * up on after its timeout, twice) holds up its own session only, and a long list of literals is read like a short
 * one, so that a 1 MB {@code IN} list is a read a replica answers.
 */
class ClassifiedElsewhereIT {

    /** More sessions than the proxy has event loops: some of them share the slow one's. */
    private static final int OTHERS = 4;

    @Test
    void aStatementSlowToClassifyHoldsUpNoOtherSession() throws Exception {
        String marker = "slow_to_classify_" + System.nanoTime();
        // ten thousand WHENs: JSqlParser gives up after its timeout, twice (first without, then with "complex
        // parsing"), a second in all; the statement then goes to the primary as one pgroute cannot read
        StringBuilder sql = new StringBuilder("/* pgroute: primary */ SELECT CASE");
        for (int i = 0; i < 10_000; i++) {
            sql.append(" WHEN ").append(i).append(" = length('").append(marker).append("') THEN ").append(i);
        }
        sql.append(" END AS ").append(marker);
        List<WireClient> others = new ArrayList<>();
        try (WireClient slow = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            for (int i = 0; i < OTHERS; i++) {
                others.add(WireClient.connect(ProxyFixture.get().port(), "trusted", "app"));
            }
            roundTrips(others);  // each has been served once: what follows is only the answers
            slow.send(new Query(sql.toString()));
            Thread.sleep(300);  // for pgroute to read the whole statement and start on it (a second, at least)
            roundTrips(others);
            assertThat(ProxyFixture.get().primaryBackendsWith(marker, false))
                    .as("the other sessions were answered while the slow one's statement was still being classified")
                    .isZero();
            List<WireClient.Message> answer = slow.readUntilReady();
            assertThat(WireClient.types(answer)).isEqualTo("TDCZ");
            assertThat(answer.get(1).firstValue()).isEqualTo(String.valueOf(marker.length()));
        } finally {
            for (WireClient each : others) {
                each.close();
            }
        }
    }

    private static void roundTrips(List<WireClient> clients) throws Exception {
        for (int round = 0; round < 3; round++) {
            for (WireClient each : clients) {
                each.send(new Query("SELECT 1"));
                assertThat(WireClient.types(each.readUntilReady())).isEqualTo("TDCZ");
            }
        }
    }

    @Test
    void aLongInListIsAReadAReplicaAnswers() throws Exception {
        StringBuilder sql = new StringBuilder("SELECT pg_is_in_recovery(), count(*) FROM generate_series(1, 10) g"
                + " WHERE g IN (");
        for (int i = 1; sql.length() < 1_000_000; i++) {
            sql.append(i).append(", ");
        }
        sql.append("0)");
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            client.send(new Query(sql.toString()));
            List<WireClient.Message> answer = client.readUntilReady();
            assertThat(WireClient.types(answer)).isEqualTo("TDCZ");
            assertThat(answer.get(1).firstValue()).as("answered by a replica, not sent to the primary as unreadable")
                    .isEqualTo("t");
        }
    }
}
