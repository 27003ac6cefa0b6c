package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgroute.config.Balance;
import io.pgroute.config.Consistency;
import io.pgroute.config.RoutingConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReplicaSelectorTest {

    private static final IntUnaryOperator NO_CONNECTIONS = index -> 0;
    private static final int PICKS = 10_000;

    @ParameterizedTest
    @EnumSource(Balance.class)
    void spreadsReadsInProportionToWeights(Balance balance) {
        ClusterState state = state(List.of(replica("replica1", 1, null), replica("replica2", 2, null),
                replica("replica3", 3, null)));
        ReplicaSelector selector = selector(routing(balance, null, false));
        int[] active = new int[4];

        Map<String, Integer> picks = new HashMap<>();
        for (int i = 0; i < PICKS; i++) {
            NodeState chosen = selector.choose(state, OptionalLong.empty(), index -> active[index]).orElseThrow();
            active[state.replicas().indexOf(chosen)]++;
            picks.merge(chosen.name(), 1, Integer::sum);
        }

        assertThat(share(picks, "replica1")).isCloseTo(1 / 6.0, within3Percent());
        assertThat(share(picks, "replica2")).isCloseTo(2 / 6.0, within3Percent());
        assertThat(share(picks, "replica3")).isCloseTo(3 / 6.0, within3Percent());
    }

    @Test
    void roundRobinIsSmoothLikeNginx() {
        ClusterState state = state(List.of(replica("a", 5, null), replica("b", 1, null), replica("c", 1, null)));
        ReplicaSelector selector = selector(routing(Balance.ROUND_ROBIN, null, false));

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            order.add(selector.choose(state, OptionalLong.empty(), NO_CONNECTIONS).orElseThrow().name());
        }

        assertThat(order).containsExactly("a", "a", "b", "a", "c", "a", "a");
    }

    @Test
    void leastConnectionsPrefersTheLeastLoadedByWeight() {
        ClusterState state = state(List.of(replica("replica1", 1, null), replica("replica2", 4, null)));
        ReplicaSelector selector = selector(routing(Balance.LEAST_CONNECTIONS, null, false));

        assertThat(selector.choose(state, OptionalLong.empty(), index -> index == 0 ? 2 : 7))
                .map(NodeState::name).contains("replica2");
        assertThat(selector.choose(state, OptionalLong.empty(), index -> index == 0 ? 2 : 9))
                .map(NodeState::name).contains("replica1");
    }

    @ParameterizedTest
    @EnumSource(Balance.class)
    void prefersReplicasInTheProxysZone(Balance balance) {
        ClusterState state = state(List.of(replica("replica1", 5, "b"), replica("replica2", 1, "a"),
                replica("replica3", 1, "a")));
        ReplicaSelector selector = selector(routing(balance, "a", false));

        for (int i = 0; i < 100; i++) {
            assertThat(selector.choose(state, OptionalLong.empty(), NO_CONNECTIONS).orElseThrow().zone())
                    .isEqualTo("a");
        }
    }

    @Test
    void fallsBackToOtherZonesWhenNoneInTheZoneIsEligible() {
        ClusterState state = state(List.of(replica("replica1", 1, "b"), ineligible(replica("replica2", 1, "a"))));

        assertThat(selector(routing(Balance.ROUND_ROBIN, "a", false)).choose(state, OptionalLong.empty(),
                NO_CONNECTIONS)).map(NodeState::name).contains("replica1");
    }

    @ParameterizedTest
    @EnumSource(Balance.class)
    void skipsReplicasThatHaveNotReplayedTheWatermark(Balance balance) {
        ClusterState state = state(List.of(replica("replica1", 1, null, 500), replica("replica2", 1, null, 900)));
        ReplicaSelector selector = selector(routing(balance, null, false));

        for (int i = 0; i < 100; i++) {
            assertThat(selector.choose(state, OptionalLong.of(900), NO_CONNECTIONS)).map(NodeState::name)
                    .contains("replica2");
        }
        assertThat(selector.choose(state, OptionalLong.of(901), NO_CONNECTIONS)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Balance.class)
    void neverPicksAnIneligibleReplica(Balance balance) {
        ClusterState state = state(List.of(ineligible(replica("replica1", 10, null)), replica("replica2", 1, null)));
        ReplicaSelector selector = selector(routing(balance, null, false));

        for (int i = 0; i < 100; i++) {
            assertThat(selector.choose(state, OptionalLong.empty(), NO_CONNECTIONS)).map(NodeState::name)
                    .contains("replica2");
        }
    }

    @ParameterizedTest
    @EnumSource(Balance.class)
    void answersEmptyWithoutCandidates(Balance balance) {
        ReplicaSelector selector = selector(routing(balance, "a", false));

        assertThat(selector.choose(state(List.of()), OptionalLong.empty(), NO_CONNECTIONS)).isEmpty();
        assertThat(selector.choose(state(List.of(ineligible(replica("replica1", 1, "a")))), OptionalLong.empty(),
                NO_CONNECTIONS)).isEmpty();
    }

    @Test
    void letsThePrimaryTakeReadsWhenAllowed() {
        ClusterState state = state(List.of(replica("replica1", 1, null, 100)));
        ReplicaSelector selector = selector(routing(Balance.ROUND_ROBIN, null, true));

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(selector.choose(state, OptionalLong.empty(), NO_CONNECTIONS).orElseThrow().name());
        }

        assertThat(order).containsExactlyInAnyOrder("replica1", "primary", "replica1", "primary");
        assertThat(selector.choose(state, OptionalLong.of(200), NO_CONNECTIONS)).map(NodeState::name)
                .contains("primary");
    }

    private static ReplicaSelector selector(RoutingConfig routing) {
        return new ReplicaSelector(routing, new SplittableRandom(42));
    }

    private static RoutingConfig routing(Balance balance, String zone, boolean primaryReads) {
        RoutingConfig defaults = RoutingConfig.defaults();
        return new RoutingConfig(Consistency.CAUSAL, defaults.window(), defaults.maxLag(), defaults.maxLagBytes(),
                balance, primaryReads, zone, defaults.lagInterval(), defaults.healthInterval(),
                defaults.catalogRefresh(), defaults.lagIdleAfter(), true, Duration.ZERO);
    }

    private static ClusterState state(List<NodeState> replicas) {
        NodeState primary = new NodeState("primary", "127.0.0.1", 5432, 1, null, true, Health.UP, 1000, 0,
                Duration.ZERO, true, null, Instant.EPOCH, 0, 1000, null);
        return new ClusterState(1000, 1, replicas, primary);
    }

    private static NodeState replica(String name, int weight, String zone) {
        return replica(name, weight, zone, 1000);
    }

    private static NodeState replica(String name, int weight, String zone, long replayLsn) {
        return new NodeState(name, "127.0.0.1", 5433, weight, zone, false, Health.UP, replayLsn, 0, Duration.ZERO,
                true, null, Instant.EPOCH, 0, replayLsn, null);
    }

    private static NodeState ineligible(NodeState node) {
        return new NodeState(node.name(), node.host(), node.port(), node.weight(), node.zone(), false, Health.UP,
                node.replayLsn(), 1 << 30, Duration.ofMinutes(1), false, null, Instant.EPOCH, 0, node.replayLsn(),
                null);
    }

    private static double share(Map<String, Integer> picks, String name) {
        return picks.getOrDefault(name, 0) / (double) PICKS;
    }

    private static Offset<Double> within3Percent() {
        return Offset.offset(0.03);
    }
}
