package io.pgroute.proxy.routing;

import io.pgroute.config.Balance;
import io.pgroute.config.RoutingConfig;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

/**
 * Picks the server for a read among the eligible ones of a {@link ClusterState}, by {@code routing.balance} and the
 * nodes' weights:
 * <ul>
 *   <li>{@code round-robin}: smooth weighted round-robin as in nginx (weights 5,1,1 give a,a,b,a,c,a,a);
 *   <li>{@code least-connections}: the fewest active connections divided by weight, ties taken in turn;
 *   <li>{@code random}: a random node with probability proportional to its weight.
 * </ul>
 * Candidates are the eligible replicas that have replayed the session's watermark (all eligible replicas when there
 * is none) plus, with {@code routing.primary_reads}, the primary when it is UP. If any candidate is in
 * {@code routing.zone}, only those in the zone are considered. Empty means no candidate: read from the primary.
 *
 * <p>Not thread-safe, by design: keep one selector per event loop. A call allocates nothing but the returned
 * {@link Optional}.
 */
public final class ReplicaSelector {

    private final Balance balance;
    private final String zone;
    private final boolean primaryReads;
    private final SplittableRandom random;
    private int[] candidates = new int[0];
    private long[] currentWeights = new long[0];
    private int nextTie;

    /** A selector for {@code routing}, with a randomly seeded generator for {@code balance: random}. */
    public ReplicaSelector(RoutingConfig routing) {
        this(routing, new SplittableRandom());
    }

    ReplicaSelector(RoutingConfig routing, SplittableRandom random) {
        this.balance = routing.balance();
        this.zone = routing.zone();
        this.primaryReads = routing.primaryReads();
        this.random = random;
    }

    /**
     * The node for a read, or empty if none qualifies.
     *
     * @param state the monitor's latest state
     * @param watermark the session's read-your-writes watermark; empty when it has none
     * @param activeConnections active connections by node index, for {@code least-connections}: index {@code i}
     *     is replica {@code i}, index {@code replicas().size()} the primary
     */
    public Optional<NodeState> choose(ClusterState state, OptionalLong watermark,
            IntUnaryOperator activeConnections) {
        List<NodeState> replicas = state.replicas();
        int count = collect(state, watermark);
        if (count == 0) {
            return Optional.empty();
        }
        int chosen = switch (balance) {
            case ROUND_ROBIN -> roundRobin(state, count);
            case LEAST_CONNECTIONS -> leastConnections(state, count, activeConnections);
            case RANDOM -> weightedRandom(state, count);
        };
        return Optional.of(chosen == replicas.size() ? state.primary() : replicas.get(chosen));
    }

    /** Fills {@link #candidates} with node indexes, zone-filtered; returns how many. */
    private int collect(ClusterState state, OptionalLong watermark) {
        List<NodeState> replicas = state.replicas();
        int nodes = replicas.size() + 1;
        if (candidates.length != nodes) {
            candidates = new int[nodes];
            currentWeights = new long[nodes];
        }
        long required = watermark.isPresent() ? watermark.getAsLong() : Lsn.INVALID;
        int count = 0;
        boolean inZone = false;
        for (int i = 0; i < nodes; i++) {
            NodeState each = i < replicas.size() ? replicas.get(i) : state.primary();
            boolean candidate = i < replicas.size() ? each.eligible() && each.replayLsn() >= required
                    : primaryReads && each.health() == Health.UP;
            if (!candidate) {
                continue;
            }
            boolean local = zone != null && zone.equals(each.zone());
            if (local && !inZone) {
                inZone = true;
                count = 0;
            }
            if (local || !inZone) {
                candidates[count++] = i;
            }
        }
        return count;
    }

    private int roundRobin(ClusterState state, int count) {
        long total = 0;
        int best = -1;
        for (int c = 0; c < count; c++) {
            int i = candidates[c];
            int weight = node(state, i).weight();
            currentWeights[i] += weight;
            total += weight;
            if (best < 0 || currentWeights[i] > currentWeights[best]) {
                best = i;
            }
        }
        currentWeights[best] -= total;
        return best;
    }

    private int leastConnections(ClusterState state, int count, IntUnaryOperator activeConnections) {
        int start = Math.floorMod(nextTie++, count);
        int best = -1;
        long bestActive = 0;
        long bestWeight = 1;
        for (int k = 0; k < count; k++) {
            int i = candidates[(start + k) % count];
            long active = activeConnections.applyAsInt(i);
            long weight = node(state, i).weight();
            if (best < 0 || active * bestWeight < bestActive * weight) {
                best = i;
                bestActive = active;
                bestWeight = weight;
            }
        }
        return best;
    }

    private int weightedRandom(ClusterState state, int count) {
        long total = 0;
        for (int c = 0; c < count; c++) {
            total += node(state, candidates[c]).weight();
        }
        long point = random.nextLong(total);
        for (int c = 0; c < count; c++) {
            point -= node(state, candidates[c]).weight();
            if (point < 0) {
                return candidates[c];
            }
        }
        throw new IllegalStateException("weights changed during selection");
    }

    private static NodeState node(ClusterState state, int index) {
        return index < state.replicas().size() ? state.replicas().get(index) : state.primary();
    }
}
