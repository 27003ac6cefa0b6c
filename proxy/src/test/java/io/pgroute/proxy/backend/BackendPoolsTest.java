package io.pgroute.proxy.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendPoolsTest {

    private static BackendTarget target(String node, Map<String, String> parameters) {
        return new BackendTarget(node, "127.0.0.1", 5432, "app", "app", "secret", BackendTarget.BackendTls.DISABLE,
                parameters);
    }

    @Test
    void equalTargetsShareOneInstanceAndDifferentOnesDoNot() {
        BackendPools pools = new BackendPools(null,
                new BackendPool.PoolSettings(1, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)));
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("application_name", "a");
        parameters.put("client_encoding", "UTF8");
        BackendTarget first = target("app/primary", parameters);
        BackendTarget second = target("app/primary", Map.of("client_encoding", "UTF8", "application_name", "a"));

        assertThat(second).isEqualTo(first).hasSameHashCodeAs(first).isNotSameAs(first);
        assertThat(pools.canonical(first)).isSameAs(first);
        assertThat(pools.canonical(second)).isSameAs(first);

        BackendTarget otherParameters = target("app/primary", Map.of("application_name", "b"));
        BackendTarget otherNode = target("app/replica1", parameters);
        assertThat(otherParameters).isNotEqualTo(first);
        assertThat(otherNode).isNotEqualTo(first);
        assertThat(pools.canonical(otherParameters)).isSameAs(otherParameters);
        assertThat(pools.canonical(otherNode)).isSameAs(otherNode);
    }

    @Test
    void aTargetKeepsACopyOfItsStartupParameters() {
        Map<String, String> parameters = new LinkedHashMap<>(Map.of("application_name", "a"));
        BackendTarget target = target("app/primary", parameters);
        int hash = target.hashCode();

        parameters.put("application_name", "changed");

        assertThat(target.startupParameters()).containsExactly(Map.entry("application_name", "a"));
        assertThat(target.hashCode()).isEqualTo(hash);
    }
}
