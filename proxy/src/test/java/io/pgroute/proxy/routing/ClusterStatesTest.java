package io.pgroute.proxy.routing;

import io.pgroute.config.NodeConfig;
import io.pgroute.config.RoutingConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which configured node is the primary, and which replicas may take reads after it changed. */
class ClusterStatesTest {

    private final PrimarySamples samples = new PrimarySamples(1024);

    @Test
    void theConfiguredPrimaryStaysWhileItIsTheOnlyWritableNode() {
        ClusterStates states = new ClusterStates("app", RoutingConfig.defaults());
        List<ClusterStates.Member> members = List.of(writable("primary", 1, 1000), replica("replica1", 900),
                replica("replica2", 950));
        assertThat(states.choosePrimary(members)).isFalse();
        ClusterState state = assemble(states, members, 1000);
        assertThat(state.primary().name()).isEqualTo("primary");
        assertThat(state.primary().eligible()).isTrue();
        assertThat(state.replicas()).extracting(NodeState::name).containsExactly("replica1", "replica2");
        assertThat(state.replicas()).allMatch(NodeState::eligible);
    }

    @Test
    void aPromotedReplicaTakesOverAndTheOldPrimaryBecomesOneOfTheOthers() {
        ClusterStates states = new ClusterStates("app", RoutingConfig.defaults());
        states.choosePrimary(List.of(writable("primary", 1, 1000), replica("replica1", 1000), replica("replica2",
                1000)));
        List<ClusterStates.Member> after = List.of(down("primary"), writable("replica1", 2, 1200),
                replica("replica2", 1000));
        assertThat(states.choosePrimary(after)).isTrue();
        assertThat(states.acting()).isEqualTo(1);
        assertThat(states.changes()).isEqualTo(1);
        ClusterState state = assemble(states, after, 1200);
        assertThat(state.primary().name()).isEqualTo("replica1");
        assertThat(state.primary().primary()).isTrue();
        assertThat(state.replicas()).extracting(NodeState::name).containsExactly("primary", "replica2");
        assertThat(state.node("primary").primary()).isFalse();
        assertThat(state.node("replica2").eligible()).as("replayed no further than where replica1 was promoted")
                .isTrue();
        assertThat(states.choosePrimary(after)).as("decided once").isFalse();
    }

    @Test
    void aReplicaThatReplayedBeyondThePromotionPointTakesNoReadsUntilItMovesOn() {
        ClusterStates states = new ClusterStates("app", RoutingConfig.defaults());
        // replica2 is ahead of replica1: it has WAL of the old primary that replica1 never received
        states.choosePrimary(List.of(writable("primary", 1, 1000), replica("replica1", 800), replica("replica2",
                1000)));
        List<ClusterStates.Member> after = List.of(down("primary"), writable("replica1", 2, 900),
                replica("replica2", 1000));
        assertThat(states.choosePrimary(after)).isTrue();
        NodeState diverged = assemble(states, after, 900).node("replica2");
        assertThat(diverged.eligible()).isFalse();
        assertThat(diverged.lastError()).contains("not known to follow");
        assertThat(assemble(states, after, 950).node("replica2").eligible()).as("still where it was").isFalse();
        // it was rewound or re-cloned and now replays the new primary's WAL
        List<ClusterStates.Member> following = List.of(down("primary"), writable("replica1", 2, 1300),
                replica("replica2", 1300));
        assertThat(assemble(states, following, 1300).node("replica2").eligible()).isTrue();
    }

    @Test
    void aReplicaMovingOnWhileAnotherNodeIsWritableIsNotTakenForAFollower() {
        ClusterStates states = new ClusterStates("app", RoutingConfig.defaults());
        states.choosePrimary(List.of(writable("primary", 1, 1000), replica("replica1", 800), replica("replica2",
                1000)));
        List<ClusterStates.Member> split = List.of(writable("primary", 1, 1100), writable("replica1", 2, 900),
                replica("replica2", 1000));
        assertThat(states.choosePrimary(split)).as("the newest timeline wins").isTrue();
        assemble(states, split, 900);
        // the old primary still writes, and replica2 still follows it
        List<ClusterStates.Member> later = List.of(writable("primary", 1, 1200), writable("replica1", 2, 950),
                replica("replica2", 1200));
        ClusterState state = assemble(states, later, 950);
        assertThat(state.node("replica2").eligible()).isFalse();
        assertThat(state.node("primary").eligible()).isFalse();
        assertThat(state.node("primary").lastError()).contains("writable on timeline 1");
        assertThat(state.primary().name()).isEqualTo("replica1");
    }

    @Test
    void aFollowerMovingPastThePromotionWhileTheOldPrimaryWritesIsExcludedUntilItIsAlone() {
        ClusterStates states = new ClusterStates("app", RoutingConfig.defaults());
        states.choosePrimary(List.of(writable("primary", 1, 1000), replica("replica1", 1000), replica("replica2",
                1000)));
        List<ClusterStates.Member> after = List.of(down("primary"), writable("replica1", 2, 1100),
                replica("replica2", 1000));
        states.choosePrimary(after);
        assertThat(assemble(states, after, 1100).node("replica2").eligible()).as("a prefix").isTrue();
        // the old primary comes back writable and replica2, still pointed at it, replays its new WAL
        List<ClusterStates.Member> split = List.of(writable("primary", 1, 1200), writable("replica1", 2, 1200),
                replica("replica2", 1150));
        states.choosePrimary(split);
        assertThat(assemble(states, split, 1200).node("replica2").eligible()).isFalse();
        // the old primary is gone again and replica2 follows replica1
        List<ClusterStates.Member> alone = List.of(down("primary"), writable("replica1", 2, 1300),
                replica("replica2", 1290));
        states.choosePrimary(alone);
        assertThat(assemble(states, alone, 1300).node("replica2").eligible()).isTrue();
    }

    @Test
    void anOldPrimaryBackOnItsOldTimelineDoesNotTakeTheWritesBack() {
        ClusterStates states = new ClusterStates("app", RoutingConfig.defaults());
        states.choosePrimary(List.of(down("primary"), writable("replica1", 2, 900), replica("replica2", 900)));
        assertThat(states.acting()).isEqualTo(1);
        assertThat(states.choosePrimary(List.of(writable("primary", 1, 1000), writable("replica1", 2, 950),
                replica("replica2", 950)))).isFalse();
        assertThat(states.acting()).isEqualTo(1);
        // a switchover back: the old primary, rewound and promoted again, is on timeline 3
        assertThat(states.choosePrimary(List.of(writable("primary", 3, 1100), replica("replica1", 1000),
                replica("replica2", 1000)))).isTrue();
        assertThat(states.acting()).isEqualTo(0);
    }

    @Test
    void twoNodesWritableOnTheSameNewestTimelineDecideNothing() {
        ClusterStates states = new ClusterStates("app", RoutingConfig.defaults());
        assertThat(states.choosePrimary(List.of(down("primary"), writable("replica1", 2, 900),
                writable("replica2", 2, 900)))).isFalse();
        assertThat(states.acting()).isEqualTo(0);
        ClusterState state = assemble(states, List.of(down("primary"), writable("replica1", 2, 900),
                writable("replica2", 2, 900)), 0);
        assertThat(state.primary().name()).isEqualTo("primary");
        assertThat(state.replicas()).noneMatch(NodeState::eligible);
    }

    @Test
    void withoutDiscoveryTheConfiguredPrimaryKeepsTheWritesAndOneInRecoveryIsReadOnly() {
        RoutingConfig defaults = RoutingConfig.defaults();
        RoutingConfig off = new RoutingConfig(defaults.consistency(), defaults.window(), defaults.maxLag(),
                defaults.maxLagBytes(), defaults.balance(), defaults.primaryReads(), defaults.zone(),
                defaults.lagInterval(), defaults.healthInterval(), defaults.catalogRefresh(), defaults.lagIdleAfter(),
                false, Duration.ZERO);
        ClusterStates states = new ClusterStates("app", off);
        List<ClusterStates.Member> members = List.of(replica("primary", 900), writable("replica1", 2, 1000),
                replica("replica2", 900));
        assertThat(states.choosePrimary(members)).isFalse();
        ClusterState state = assemble(states, members, 0);
        assertThat(state.primary().name()).isEqualTo("primary");
        assertThat(state.primary().health()).isEqualTo(Health.UP);
        assertThat(state.primary().eligible()).as("in recovery: takes no writes").isFalse();
        assertThat(state.primary().lastError()).contains("in recovery");
        assertThat(state.node("replica1").eligible()).as("writable: not a replica").isFalse();
    }

    private ClusterState assemble(ClusterStates states, List<ClusterStates.Member> members, long primaryLsn) {
        if (primaryLsn > samples.latestLsn()) {
            samples.add(primaryLsn, System.nanoTime());
        }
        return states.assemble(members, samples, false);
    }

    private static ClusterStates.Member writable(String name, long timeline, long lsn) {
        return member(name, new NodeProbe.Reading(Health.UP, lsn, false, timeline, null, Instant.EPOCH, 1));
    }

    private static ClusterStates.Member replica(String name, long lsn) {
        return member(name, new NodeProbe.Reading(Health.UP, lsn, true, 0, null, Instant.EPOCH, 1));
    }

    private static ClusterStates.Member down(String name) {
        return member(name, new NodeProbe.Reading(Health.DOWN, 500, false, 1, "connection refused", Instant.EPOCH,
                1));
    }

    private static ClusterStates.Member member(String name, NodeProbe.Reading reading) {
        int port = switch (name) {
            case "primary" -> 5432;
            case "replica1" -> 5433;
            default -> 5434;
        };
        return new ClusterStates.Member(name, NodeConfig.of("127.0.0.1", port), reading);
    }
}
