package io.pgroute.config;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Other pgroute instances that serve the same clients, behind a TCP load balancer ({@code peers:}). A client's
 * CancelRequest comes on a new connection, which the balancer may send to any instance: each instance puts its
 * {@code id} in the cancel keys it hands out, and forwards a cancel whose key names another instance to that one.
 *
 * @param id      this instance, 1-16383; 0 when there is no {@code peers:} section (cancels stay local)
 * @param members the other instances, each with its own id and the address clients use for it
 */
public record PeersConfig(int id, List<Peer> members) {

    /** The largest instance id: it shares the cancel key's process id with a per-instance session counter. */
    public static final int MAX_ID = 16383;
    /** The port a peer listens on when its entry gives none: pgroute's default. */
    public static final int DEFAULT_PORT = 6432;

    /** Another instance: its id and where it listens. */
    public record Peer(int id, String host, int port) {
        public Peer {
            Objects.requireNonNull(host, "host");
        }

        static Peer read(MappingReader reader) {
            int id = reader.integer("id", 0, 1, MAX_ID);
            if (!reader.has("id")) {
                reader.problem("id", "is required");
            }
            String host = reader.requiredString("host").orElse("");
            int port = reader.integer("port", DEFAULT_PORT, 1, 65535);
            reader.finish();
            return new Peer(id, host, port);
        }
    }

    public PeersConfig {
        members = List.copyOf(members);
    }

    /** No peers: cancel keys carry no instance id and unknown keys are ignored. */
    public static PeersConfig none() {
        return new PeersConfig(0, List.of());
    }

    /** Whether this instance has peers to forward cancels to. */
    public boolean enabled() {
        return id > 0;
    }

    /** The instance with id {@code peerId}, if it is one of the members. */
    public Optional<Peer> member(int peerId) {
        return members.stream().filter(each -> each.id() == peerId).findFirst();
    }

    static PeersConfig read(MappingReader reader) {
        int id = reader.integer("id", 0, 1, MAX_ID);
        if (!reader.has("id")) {
            reader.problem("id", "is required: this instance's id, 1-" + MAX_ID);
        }
        List<Peer> members = reader.mappingList("members").stream().map(Peer::read).toList();
        Set<Integer> seen = new HashSet<>();
        seen.add(id);
        for (Peer each : members) {
            if (each.id() > 0 && !seen.add(each.id())) {  // an id out of range is reported already
                reader.problem("members", "peer id " + each.id() + " is used twice (this instance is " + id + ")");
            }
        }
        reader.finish();
        return new PeersConfig(id, members);
    }
}
